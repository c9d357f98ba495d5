// The directory's SQLite schema, and what the sink and its browser both read
// it with.
#pragma once

#include <string>

#include <sqlite3.h>

#include "department_paths.hpp"

namespace peoplesync::directory {

// Indexes are named so a large load can drop and rebuild them: building an
// index once over sorted keys is several times faster than a million random
// inserts into it.
inline constexpr const char* tables[] = {
    "CREATE TABLE IF NOT EXISTS users ("
    " id INTEGER PRIMARY KEY,"
    " hris_id TEXT,"  // NULL for users the directory made; unique otherwise
    " email TEXT NOT NULL,"
    " first_name TEXT NOT NULL DEFAULT '',"
    " last_name TEXT NOT NULL DEFAULT '',"
    " job_title TEXT NOT NULL DEFAULT '',"
    " phone_number TEXT NOT NULL DEFAULT '',"
    " employee_id TEXT NOT NULL DEFAULT '',"
    " hire_date TEXT NOT NULL DEFAULT '',"
    " profile_image_url TEXT NOT NULL DEFAULT '',"
    " profile_image_last_modified TEXT NOT NULL DEFAULT '',"
    " profile_image_cache_info TEXT NOT NULL DEFAULT '',"
    " active INTEGER NOT NULL DEFAULT 1,"
    " manager_id INTEGER,"
    " synced INTEGER NOT NULL DEFAULT 0,"
    " synced_fields TEXT NOT NULL DEFAULT '',"       // before field_sets; '' since
    " synced_field_set INTEGER NOT NULL DEFAULT 0,"  // field_sets.id; 0: none
    " sync_hash INTEGER NOT NULL DEFAULT 0,"
    " updated_at TEXT NOT NULL DEFAULT '')",
    // The synced fields of synced users, once per distinct list (one per
    // pipeline configuration), not once per user.
    "CREATE TABLE IF NOT EXISTS field_sets (id INTEGER PRIMARY KEY, fields TEXT NOT NULL UNIQUE)",
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
    // This database's identity and a number every write through peoplesync
    // (a run, an edit) raises: together, the sink's state token.
    "CREATE TABLE IF NOT EXISTS directory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT OR IGNORE INTO directory_meta(key, value) VALUES('instance', lower(hex(randomblob(16))))",
    "INSERT OR IGNORE INTO directory_meta(key, value) VALUES('generation', '0')",
};
inline constexpr const char* bump_generation =
    "UPDATE directory_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'";
inline constexpr const char* indexes[] = {
    "CREATE UNIQUE INDEX IF NOT EXISTS users_by_hris_id ON users(hris_id)",
    "CREATE INDEX IF NOT EXISTS memberships_by_department ON memberships(department_id)",
    "CREATE INDEX IF NOT EXISTS audit_by_run ON audit_log(run_id)",
    // The users who are not synced, typically few: a change-only run reads
    // them all (load_index_for) without a scan.
    "CREATE INDEX IF NOT EXISTS users_unsynced ON users(id) WHERE synced = 0",
};

// Makes what is missing of the schema, and brings a directory written by an
// earlier version up to this one.
void create_schema(sqlite3* db);

// Every department of the directory and its path ("Engineering > Mobile
// Team"), made from its parent's as the diff makes it.
DepartmentPaths department_paths(sqlite3* db);

// Now, as the directory writes times (ISO 8601, UTC).
std::string now_text();

}  // namespace peoplesync::directory
