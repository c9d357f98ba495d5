#include "schema.hpp"

#include <vector>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "sqlite_statement.hpp"

namespace peoplesync::directory {

using sqlite::execute;
using sqlite::SqliteStatement;

namespace {

// Directories made before field_sets keep their users' lists in
// users.synced_fields; new writes go to synced_field_set.
void upgrade(sqlite3* db) {
    SqliteStatement columns(db, "SELECT 1 FROM pragma_table_info('users') WHERE name = 'synced_field_set'");
    const bool has = columns.next();
    if (has) columns.next();
    if (!has) execute(db, "ALTER TABLE users ADD COLUMN synced_field_set INTEGER NOT NULL DEFAULT 0");
}

}  // namespace

void create_schema(sqlite3* db) {
    for (const char* statement : tables) execute(db, statement);
    upgrade(db);
    for (const char* statement : indexes) execute(db, statement);
}

DepartmentPaths department_paths(sqlite3* db) {
    std::vector<std::int64_t> ids, parents;
    std::string names;  // every name, one after the other
    std::vector<std::size_t> name_ends;
    SqliteStatement select(db, "SELECT id, parent_id, name FROM departments");
    while (select.next()) {
        ids.push_back(select.integer(0));
        parents.push_back(select.integer(1));
        names += select.text(2);
        name_ends.push_back(names.size());
    }
    return DepartmentPaths(
        ids.size(), [&](std::size_t i) { return ids[i]; }, [&](std::size_t i) { return parents[i]; },
        [&](std::size_t i) {
            const std::size_t begin = i == 0 ? 0 : name_ends[i - 1];
            return std::string_view(names).substr(begin, name_ends[i] - begin);
        });
}

std::string now_text() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
}

}  // namespace peoplesync::directory
