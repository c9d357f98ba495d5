#include "manager_cells.hpp"

namespace peoplesync::csv {

// The fields of a record without quotes, up to `max_fields`, as CsvReader
// would give them.
void split_plain(std::string_view bytes, char delimiter, std::size_t max_fields, CsvRecord& record) {
    record.fields.clear();
    record.stray_text_field = -1;
    std::size_t from = 0;
    while (record.fields.size() < max_fields) {
        const std::size_t stop = bytes.find(delimiter, from);
        if (stop == std::string_view::npos) {
            std::string_view last = bytes.substr(from);
            if (!last.empty() && last.back() == '\r') last.remove_suffix(1);
            record.fields.push_back(last);
            return;
        }
        record.fields.push_back(bytes.substr(from, stop - from));
        from = stop + 1;
    }
}

}  // namespace peoplesync::csv
