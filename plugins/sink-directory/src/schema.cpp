#include "schema.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <vector>

#include "sqlite_migrations.hpp"
#include "sqlite_statement.hpp"

namespace peoplesync::directory {

using sqlite::execute;
using sqlite::SqliteStatement;

namespace {

// The type of a field's text column: hris_id is NULL for users the
// directory made (and unique otherwise), every user has an email.
std::string column_type(const TextColumn& column) {
    if (column.field == FieldId::hris_id) return "TEXT";
    if (column.field == FieldId::email) return "TEXT NOT NULL";
    return "TEXT NOT NULL DEFAULT ''";
}

std::string users_table() {
    std::string sql = "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, ";
    for (const TextColumn& column : text_columns()) sql += column.name + " " + column_type(column) + ", ";
    return sql +
           "active INTEGER NOT NULL DEFAULT 1,"
           " manager_id INTEGER,"
           " synced INTEGER NOT NULL DEFAULT 0,"
           " synced_fields TEXT NOT NULL DEFAULT '',"  // before field_sets (step 3); '' since
           " sync_hash INTEGER NOT NULL DEFAULT 0,"
           " updated_at TEXT NOT NULL DEFAULT '')";
}

// The text columns the users table lacks: those of fields added to the
// table after the database was made.
std::vector<const TextColumn*> missing_columns(sqlite3* db) {
    std::vector<std::string> present;
    SqliteStatement columns(db, "SELECT name FROM pragma_table_info('users')");
    while (columns.next()) present.emplace_back(columns.text(0));
    std::vector<const TextColumn*> missing;
    for (const TextColumn& column : text_columns())
        if (std::find(present.begin(), present.end(), column.name) == present.end()) missing.push_back(&column);
    return missing;
}

// The directory as the first development builds made it (28 November 2026),
// with the columns of every field this build knows.
void first_schema(sqlite3* db) {
    // The very first build kept each change's pipeline and time in audit_log
    // itself: no build after it reads that table.
    SqliteStatement older(db, "SELECT 1 FROM pragma_table_info('audit_log') WHERE name = 'pipeline'");
    if (older.next()) {
        older.next();
        throw Error(
            "its audit_log is in the format of a development build that no release wrote (a pipeline "
            "column, before audit_runs); make the directory again from a full run into a new database file");
    }
    const std::string users = users_table();
    for (const char* statement : {
             users.c_str(),
             "CREATE TABLE IF NOT EXISTS departments ("
             " id INTEGER PRIMARY KEY,"
             " parent_id INTEGER NOT NULL DEFAULT 0,"  // 0: top level
             " name TEXT NOT NULL,"
             " synced INTEGER NOT NULL DEFAULT 0,"
             " UNIQUE(parent_id, name))",
             "CREATE TABLE IF NOT EXISTS memberships ("
             " user_id INTEGER NOT NULL,"
             " department_id INTEGER NOT NULL,"
             " PRIMARY KEY(user_id, department_id)) WITHOUT ROWID",
             "CREATE TABLE IF NOT EXISTS audit_log ("
             " id INTEGER PRIMARY KEY,"
             " run_id INTEGER NOT NULL,"
             " user_id INTEGER,"
             " action TEXT NOT NULL,"
             " field TEXT NOT NULL DEFAULT '',"
             " old_value TEXT NOT NULL DEFAULT '',"
             " new_value TEXT NOT NULL DEFAULT '')",
             "CREATE TABLE IF NOT EXISTS audit_runs ("
             " run_id INTEGER PRIMARY KEY,"
             " pipeline TEXT NOT NULL,"
             " at TEXT NOT NULL)",
             "CREATE UNIQUE INDEX IF NOT EXISTS users_by_hris_id ON users(hris_id)",
             "CREATE INDEX IF NOT EXISTS memberships_by_department ON memberships(department_id)",
             "CREATE INDEX IF NOT EXISTS audit_by_run ON audit_log(run_id)",
         })
        execute(db, statement);
}

// The state token's parts (29 November).
void directory_meta(sqlite3* db) {
    execute(db, "CREATE TABLE IF NOT EXISTS directory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    execute(db, "INSERT OR IGNORE INTO directory_meta(key, value) VALUES('instance', lower(hex(randomblob(16))))");
    execute(db, "INSERT OR IGNORE INTO directory_meta(key, value) VALUES('generation', '0')");
}

// The synced fields of synced users, once per distinct list (one per
// pipeline configuration), not once per user. Users of directories made
// before keep their lists in users.synced_fields; new writes go to
// synced_field_set (0: none).
void field_sets(sqlite3* db) {
    execute(db, "CREATE TABLE IF NOT EXISTS field_sets (id INTEGER PRIMARY KEY, fields TEXT NOT NULL UNIQUE)");
    sqlite::add_column(db, "users", "synced_field_set", "INTEGER NOT NULL DEFAULT 0");
}

// The users who are not synced, typically few: a change-only run reads
// them all (load_index_for) without a scan.
void unsynced_users(sqlite3* db) {
    execute(db, "CREATE INDEX IF NOT EXISTS users_unsynced ON users(id) WHERE synced = 0");
}

constexpr sqlite::Migration migrations[] = {
    {1, first_schema},
    {2, directory_meta},
    {3, field_sets},
    {4, unsynced_users},
};
static_assert(std::size(migrations) == schema_version);

}  // namespace

void create_schema(sqlite3* db) {
    sqlite::migrate(db, {}, migrations);
    if (missing_columns(db).empty()) return;
    // Of processes opening it at once, one adds them; the others, waiting
    // on its lock, find them there.
    execute(db, "BEGIN IMMEDIATE");
    try {
        for (const TextColumn* column : missing_columns(db))
            sqlite::add_column(db, "users", column->name, column_type(*column));
        execute(db, "COMMIT");
    } catch (const std::exception& e) {
        sqlite::roll_back(db);
        throw Error(std::string("cannot add the columns of new fields to its users: ") + e.what());
    }
}

bool schema_outdated(sqlite3* db) {
    return sqlite::schema_version(db, {}) != schema_version || !missing_columns(db).empty();
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

}  // namespace peoplesync::directory
