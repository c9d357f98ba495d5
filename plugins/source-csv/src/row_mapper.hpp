// From CSV records to users: which column feeds which field in the file at
// hand, each row turned into a User with findings that name the file, line
// and column, and managers given by employee_id or email turned into
// hris_ids.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <peoplesync/model.hpp>

#include "csv_reader.hpp"
#include "csv_settings.hpp"

namespace peoplesync::csv {

struct Layout {
    std::array<int, field_count> column{};  // the column feeding each field, -1 for none
    std::vector<std::string> headers;       // trimmed
    std::vector<std::string> unread;        // fields the file has no column for

    int of(Field f) const { return column[static_cast<std::size_t>(f)]; }
};

// Matches the header row against the settings. Throws Error, naming the file
// and line, for a header that is not UTF-8, a duplicate column name, or a
// column that the settings name (or a required field needs) and the header
// lacks.
Layout read_layout(const CsvRecord& header, const CsvSettings& settings, const std::string& file_name);

class RowMapper {
public:
    RowMapper(const CsvSettings& settings, const Layout& layout, std::string file_name);

    // Appends the user `record` describes to snapshot.users, and a finding
    // for each problem with it. Every record becomes a user, so that a bad
    // row can be quarantined by its hris_id or email.
    void add(const CsvRecord& record, Snapshot& snapshot);

private:
    void read_active(std::string_view cell, std::int64_t index, User& user, Snapshot& snapshot) const;
    void read_departments(std::string_view cell, std::int64_t index, User& user, Snapshot& snapshot);
    void read_text(Field f, std::string_view cell, std::int64_t index, User& user, Snapshot& snapshot) const;

    const CsvSettings& settings_;
    const Layout& layout_;
    std::string file_name_;
    std::string repaired_;    // a cell with its invalid UTF-8 replaced
    std::string department_;  // a department with its levels rewritten
};

// The manager column holds employee_ids or emails (settings.manager_by):
// each becomes the hris_id of the row that has it, or stays unset with a
// warning when no row, or more than one, has it.
void resolve_managers(Snapshot& snapshot, ManagerBy by);

}  // namespace peoplesync::csv
