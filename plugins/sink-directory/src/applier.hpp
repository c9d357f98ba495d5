// Writes a run's ChangeSet into the directory: departments, created users
// (in bulk), updated, linked and unsynced users, memberships, managers, and
// an audit row for each change.
#pragma once

#include <sqlite3.h>

#include <peoplesync/plugin.hpp>

namespace peoplesync::directory {

// Inside the caller's transaction. A large load (is_large_load) drops the
// indexes its keys would land all over, and builds them again after.
void apply_changes(sqlite3* db, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context,
                   bool large);

}  // namespace peoplesync::directory
