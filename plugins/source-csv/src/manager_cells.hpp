// What a change-only scan of the csv source needs when managers are given by
// employee_id or email: each record's key, hris_id and manager cell, read on
// two threads from the places the scan found, and whom each manager cell
// finds in the file.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "csv_reader.hpp"
#include "csv_settings.hpp"
#include "row_index.hpp"
#include "row_mapper.hpp"
#include "two_threads.hpp"

namespace peoplesync::csv {

// The fields of a record without quotes, up to `max_fields`, as CsvReader
// would give them.
void split_plain(std::string_view bytes, char delimiter, std::size_t max_fields, CsvRecord& record);

// A view that costs nothing to allocate: arrays of a million of them are
// filled by two threads, each touching its own half first.
struct Cell {
    const char* data;
    std::size_t size;

    std::string_view view() const { return {data, size}; }
};

// The hris_ids of some rows, in row order.
class ManagerIds {
public:
    void add(std::uint32_t row, std::string_view hris_id) {
        rows_.push_back(row);
        text_.append(hris_id);
        ends_.push_back(text_.size());
    }
    // The hris_id of a row added.
    std::string_view of(std::uint32_t row) const {
        const auto at = static_cast<std::size_t>(std::lower_bound(rows_.begin(), rows_.end(), row) - rows_.begin());
        if (at == rows_.size() || rows_[at] != row) return {};
        const std::size_t begin = at == 0 ? 0 : ends_[at - 1];
        return std::string_view(text_).substr(begin, ends_[at] - begin);
    }

private:
    std::vector<std::uint32_t> rows_;
    std::vector<std::size_t> ends_;
    std::string text_;
};

// Where scan() found each record.
struct RecordPlaces {
    std::vector<std::size_t> begins;  // per record, then the end of the data
    std::vector<std::size_t> ends;    // per record: past its last byte, the line feed excluded
    std::vector<std::int64_t> lines;
    std::vector<char> quoted;  // per record: it has a quote, so only CsvReader can take it apart
};

// For managers given by employee_id or email, while scanning: each record's
// key (its employee_id or email), whether it has an hris_id, and the manager
// it names, as RowMapper reads them; then whom each manager cell finds.
class ManagerCells {
public:
    ManagerCells(const CsvSettings& settings, const Layout& layout, const RowMapper& rows, const std::string& file_name,
                 std::string_view data)
        : rows_(rows),
          file_name_(file_name),
          data_(data),
          delimiter_(settings.delimiter),
          key_field_(settings.manager_by == ManagerBy::email ? Field::email : Field::employee_id),
          by_email_(settings.manager_by == ManagerBy::email) {
        for (Field f : {Field::hris_id, key_field_, Field::manager})
            max_fields_ = std::max(max_fields_, static_cast<std::size_t>(std::max(layout.of(f), 0)) + 1);
    }

    void read(const RecordPlaces& places) {
        count_ = places.lines.size();
        keys_ = std::make_unique_for_overwrite<Cell[]>(count_);
        key_hashes_ = std::make_unique_for_overwrite<std::size_t[]>(count_);
        managers_ = std::make_unique_for_overwrite<Cell[]>(count_);
        manager_hashes_ = std::make_unique_for_overwrite<std::size_t[]>(count_);
        hris_ids_ = std::make_unique_for_overwrite<Cell[]>(count_);
        threads::for_halves(count_, [this, &places](std::size_t from, std::size_t to) {
            read_range(places, from, to, copies_[from == 0 ? 0 : 1]);
        });
    }

    bool names_manager(std::size_t row) const { return managers_[row].size > 0; }
    bool has_hris_id(std::uint32_t row) const { return hris_ids_[row].size > 0; }

    // The hris_ids of the rows `matches` find alone, as the users read have
    // them: what read_records() sets managers to, copied, so that the
    // file's bytes may go before it is done.
    ManagerIds manager_ids(const std::vector<RowMatch>& matches) const {
        std::vector<char> found(count_, 0);
        for (const RowMatch& match : matches)
            if (match.first != no_row && match.second == no_row) found[match.first] = 1;
        ManagerIds ids;
        for (std::uint32_t row = 0; row < count_; ++row)
            if (found[row]) ids.add(row, hris_ids_[row].view());
        return ids;
    }

    // Per record, the rows its manager cell finds (none for an empty cell).
    std::vector<RowMatch> match() const {
        const RowIndex rows(
            count_, [this](std::uint32_t row) { return keys_[row].view(); }, by_email_, key_hashes_.get());
        std::vector<RowMatch> matches(count_);
        threads::for_halves(count_, [this, &rows, &matches](std::size_t from, std::size_t to) {
            rows.find_range(
                from, to, [this](std::size_t i) { return managers_[i].view(); }, matches.data(), manager_hashes_.get());
        });
        return matches;
    }

private:
    // The cells of records `from` to `to` - 1; values that are not views into
    // the file's bytes or the settings are copied into `copies`.
    void read_range(const RecordPlaces& places, std::size_t from, std::size_t to, std::deque<std::string>& copies) {
        CsvReader parser(file_name_, delimiter_);
        CsvRecord record;
        std::string scratch;
        auto keep = [&copies, &scratch](std::string_view value, bool copy) -> Cell {
            if (!value.empty() && (copy || !scratch.empty())) value = copies.emplace_back(value);
            return {value.data(), value.size()};
        };
        for (std::size_t i = from; i < to; ++i) {
            const bool quoted = places.quoted[i] != 0;
            if (quoted) {
                parser.reset(
                    data_.substr(places.begins[i], std::min(places.ends[i] + 1, data_.size()) - places.begins[i]),
                    places.lines[i]);
                parser.next(record);
            } else {
                split_plain(data_.substr(places.begins[i], places.ends[i] - places.begins[i]), delimiter_, max_fields_,
                            record);
            }
            keys_[i] = keep(rows_.value_of(key_field_, record, scratch), quoted);
            key_hashes_[i] = key_hash(keys_[i].view(), by_email_);
            managers_[i] = keep(rows_.value_of(Field::manager, record, scratch), quoted);
            manager_hashes_[i] = key_hash(managers_[i].view(), by_email_);
            hris_ids_[i] = keep(rows_.value_of(Field::hris_id, record, scratch), quoted);
        }
    }

    const RowMapper& rows_;
    const std::string& file_name_;
    std::string_view data_;
    char delimiter_;
    Field key_field_;
    bool by_email_;
    std::size_t max_fields_ = 1;
    std::size_t count_ = 0;
    std::unique_ptr<Cell[]> keys_;
    std::unique_ptr<std::size_t[]> key_hashes_;  // key_hash() of each key, for the RowIndex
    std::unique_ptr<Cell[]> managers_;
    std::unique_ptr<std::size_t[]> manager_hashes_;
    std::unique_ptr<Cell[]> hris_ids_;
    std::array<std::deque<std::string>, 2> copies_;  // one per thread
};

}  // namespace peoplesync::csv
