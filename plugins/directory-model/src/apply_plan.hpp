// What a run writes into a directory, whatever its database: the ChangeSet
// made into batches of rows (departments in order, created users with
// consecutive ids, updates, memberships, managers, and an audit row for
// each change) that a DirectoryStore writes. Both directory sinks apply
// through it, so they hold the same rows and the same audit for a run.
#pragma once

#include <peoplesync/plugin.hpp>

#include "directory_store.hpp"

namespace peoplesync::directory_model {

// A run is a large load when it creates more users than the directory
// holds, and more than this many: the sinks build their indexes of users,
// memberships and audit rows after such a load rather than into it (an
// index built once over sorted keys is several times faster than as many
// inserts into it).
inline constexpr std::size_t large_load = 10000;
template <typename CountUsers>
bool is_large_load(const ChangeSet& changes, CountUsers count_users) {
    return changes.created.size() > large_load && static_cast<std::int64_t>(changes.created.size()) > count_users();
}

// Inside the caller's transaction; `at` is the run's time as the store
// writes times.
void apply_plan(DirectoryStore& store, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context,
                std::string_view at);

}  // namespace peoplesync::directory_model
