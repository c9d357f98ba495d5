// What a run writes into a directory, whatever its database: the ChangeSet
// made into batches of rows (departments in order, created users with
// consecutive ids, updates, memberships, managers, and an audit row for
// each change) that a DirectoryStore writes. Both directory sinks apply
// through it, so they hold the same rows and the same audit for a run.
#pragma once

#include <peoplesync/plugin.hpp>

#include "directory_store.hpp"

namespace peoplesync::directory_model {

// Inside the caller's transaction; `at` is the run's time as the store
// writes times.
void apply_plan(DirectoryStore& store, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context,
                std::string_view at);

}  // namespace peoplesync::directory_model
