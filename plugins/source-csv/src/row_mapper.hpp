// From CSV records to users: which column feeds which field in the file at
// hand, each row turned into a User with findings that name the file, line
// and column, and managers given by employee_id or email turned into
// hris_ids.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/model.hpp>

#include "csv_reader.hpp"
#include "csv_settings.hpp"
#include "row_index.hpp"

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

    // add() without adding: fills `user` (a new or cleared User) as
    // the user at `index` of `snapshot`, and appends its findings to
    // `findings`. `snapshot` is only read, so that RowMappers on several
    // threads can fill the users of one snapshot at once.
    void fill(const CsvRecord& record, std::int64_t index, User& user, const Snapshot& snapshot,
              std::vector<Finding>& findings);

    // The value add() gives text field `f` (not active or departments) of the
    // user `record` describes, without its findings; empty for a field
    // without a column. May point into `scratch`, which it clears first.
    std::string_view value_of(Field f, const CsvRecord& record, std::string& scratch) const;

private:
    // Where fill() puts a user's findings.
    struct Findings {
        const Snapshot& snapshot;  // for locate()
        std::vector<Finding>& found;
        std::int64_t index;

        void error(const UserView& user, std::string_view field_name, std::string message) const;
    };

    void read_active(std::string_view cell, User& user, const Findings& out) const;
    void read_departments(std::string_view cell, User& user, const Findings& out);
    void read_text(Field f, std::string_view cell, User& user, const Findings& out) const;

    const CsvSettings& settings_;
    const Layout& layout_;
    std::string file_name_;
    std::string repaired_;    // a cell with its invalid UTF-8 replaced
    std::string department_;  // a department with its levels rewritten
    User user_;               // add()'s, whose memory each row reuses
};

// "employees.csv:12"
void set_origin(std::string& origin, const std::string& file_name, std::int64_t line);

// The manager column holds employee_ids or emails (settings.manager_by):
// each becomes the hris_id of the row that has it, or stays unset with a
// warning when no row, or more than one, has it.
void resolve_managers(Snapshot& snapshot, ManagerBy by);

// resolve_managers() for one user, snapshot.users[index] or to be: the
// hris_id their manager (an employee_id or email) becomes, or empty with a
// warning appended to `findings`. `match` is what the manager found:
// `first_hris_id` is the hris_id of match.first when that is the only
// match; `line_of` gives the line of a row for a warning.
std::string settled_manager(const Snapshot& snapshot, std::vector<Finding>& findings, std::size_t index,
                            const UserView& user, ManagerBy by, RowMatch match, std::string_view first_hris_id,
                            const std::function<std::string(std::uint32_t)>& line_of);

}  // namespace peoplesync::csv
