// The directory's SQLite schema, and what the sink and its browser both read
// it with.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <sqlite3.h>

#include <peoplesync/fields.hpp>

#include "department_paths.hpp"
#include "records.hpp"
#include "text_columns.hpp"

namespace peoplesync::directory {

// This database's identity and a number every write through peoplesync
// (a run, an edit) raises: together, the sink's state token (directory_meta).
inline constexpr const char* bump_generation =
    "UPDATE directory_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'";
// The family of the users' sync hashes (peoplesync::sync_hash_family), in
// directory_meta: set by each run, in its transaction. A directory without it
// was written before families were recorded: its hashes are of the first.
inline constexpr const char* record_sync_hash_family =
    "INSERT OR REPLACE INTO directory_meta(key, value) VALUES('sync_hash_family', ?)";
inline constexpr const char* stored_sync_hash_family =
    "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM directory_meta WHERE key = 'sync_hash_family'), 1)";
// Indexes are named so a large load can drop and rebuild them: building an
// index once over sorted keys is several times faster than a million random
// inserts into it.
inline constexpr const char* indexes[] = {
    "CREATE UNIQUE INDEX IF NOT EXISTS users_by_hris_id ON users(hris_id)",
    "CREATE INDEX IF NOT EXISTS memberships_by_department ON memberships(department_id)",
    "CREATE INDEX IF NOT EXISTS audit_by_run ON audit_log(run_id)",
    // The users who are not synced, typically few: a change-only run reads
    // them all (load_index_for) without a scan.
    "CREATE INDEX IF NOT EXISTS users_unsynced ON users(id) WHERE synced = 0",
};

// The schema's version (PRAGMA user_version) this build writes: each
// migration in schema.cpp is a numbered step towards it.
inline constexpr int schema_version = 4;

// Creates the schema in a new database, and brings a directory written by an
// earlier build up to this one; refuses one written by a newer build. A
// field added to the SDK's table since the database was made gets its
// column here, without a migration step of its own.
void create_schema(sqlite3* db);
// Whether create_schema() has anything to do.
bool schema_outdated(sqlite3* db);

// Every department of the directory and its path ("Engineering > Mobile
// Team"), made from its parent's as the diff makes it.
DepartmentPaths department_paths(sqlite3* db);

using directory_model::now_text;

}  // namespace peoplesync::directory
