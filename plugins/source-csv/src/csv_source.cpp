// source `csv`: people from an HRIS export file. Columns feed schema fields by
// header name, value maps translate the export's wording, and every finding
// names the file, the line and the column.
#include <filesystem>

#include <peoplesync/plugin.hpp>

#include "csv_reader.hpp"
#include "csv_settings.hpp"
#include "row_mapper.hpp"

namespace peoplesync::csv {

namespace {

constexpr std::int64_t progress_every = 50000;

// The file `path` names; for a pattern, the newest match (by modification
// time, then by the greater name).
std::filesystem::path choose_file(const CsvSettings& settings) {
    namespace fs = std::filesystem;
    fs::path path(settings.path);
    if (!settings.is_glob) return path;
    const std::string pattern = path.filename().string();
    std::error_code ec;
    fs::directory_iterator it(path.parent_path(), ec);
    if (ec)
        throw Error("no file matches \"" + settings.path + "\" (" + path.parent_path().string() + ": " + ec.message() +
                    ")");
    fs::path best;
    fs::file_time_type best_time;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        // As in a shell, a pattern matches hidden files only when it says so.
        if (name.front() == '.' && pattern.front() != '.') continue;
        if (!matches_wildcard(pattern, name) || !entry.is_regular_file(ec)) continue;
        const auto time = entry.last_write_time(ec);
        if (ec) continue;
        if (best.empty() || time > best_time || (time == best_time && entry.path().filename() > best.filename())) {
            best = entry.path();
            best_time = time;
        }
    }
    if (best.empty()) throw Error("no file matches \"" + settings.path + "\"");
    return best;
}

}  // namespace

class CsvSource final : public Source {
public:
    static constexpr const char* type = "csv";
    static constexpr const char* description =
        "People from a CSV export of the HRIS: columns mapped by header, value maps, newest file of a pattern.";
    static std::vector<OptionSpec> options() { return csv_options(); }

    CsvSource(const ConfigValue& config, Host& host) : host_(host), settings_(parse_settings(config, host)) {}

    Snapshot read(ReadContext& context) override {
        const std::filesystem::path file = choose_file(settings_);
        const std::string file_name = file.filename().string();
        host_.log().info("reading " + file.string());

        Snapshot snapshot;
        snapshot.origin = "file " + file.string();
        // Sized once: a million users must not be moved while the vector grows.
        const std::int64_t line_ends = CsvReader::count_line_ends(file);
        CsvReader reader(file, file_name, settings_.delimiter);

        reader.skip_lines(settings_.header_line - 1);
        CsvRecord record;
        if (!reader.next(record)) {
            if (settings_.header_line == 1)
                throw Error(file_name + ": the file is empty; its first line must name the columns");
            throw Error(file_name + ": the file ends before line " + std::to_string(settings_.header_line) +
                        ", where header_line says the column names are");
        }
        const Layout layout = read_layout(record, settings_, file_name);
        for (std::size_t i = 0; i < field_count; ++i)
            if (layout.column[i] >= 0)
                snapshot.field_labels[std::string(name_of(static_cast<Field>(i)))] =
                    "column \"" + layout.headers[static_cast<std::size_t>(layout.column[i])] + "\"";
        if (!layout.unread.empty()) {
            std::string list;
            for (const auto& name : layout.unread) list += (list.empty() ? "" : ", ") + name;
            host_.log().info(file_name + ": no column for " + list + "; they are read as empty");
        }

        snapshot.users.reserve(
            static_cast<std::size_t>(std::max<std::int64_t>(line_ends + 1 - settings_.header_line, 0)));
        RowMapper rows(settings_, layout, file_name);
        std::int64_t count = 0;
        while (reader.next(record)) {
            rows.add(record, snapshot);
            if (++count % progress_every == 0) context.progress(count);
        }
        context.progress(count);
        if (settings_.manager_by != ManagerBy::hris_id && layout.of(Field::manager) >= 0)
            resolve_managers(snapshot, settings_.manager_by);
        return snapshot;
    }

private:
    Host& host_;
    CsvSettings settings_;
};

}  // namespace peoplesync::csv

PEOPLESYNC_PLUGIN(peoplesync::csv::CsvSource)
