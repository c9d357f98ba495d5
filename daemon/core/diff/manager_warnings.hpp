// A manager must be somebody: a valid user of the snapshot or a user of the
// destination; one who is neither stays unset, with a warning. The diff gives
// that warning against each destination; a pushed snapshot's answer gives it
// before the run, asking the sinks (HeldUsers::held_hris_ids) only about the
// managers the snapshot itself does not name, so a large push whose managers
// are all in it loads nothing.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/model.hpp>

namespace peoplesync::core {

// The warning about the manager of user `user`, who is nobody; `why`, when
// not empty, is said after "nor in the destination".
Finding unknown_manager_warning(const Snapshot& snapshot, std::size_t user, std::string_view why = {});

// The managers of valid users (invalid[u] == 0) whom no valid user of the
// snapshot is, each once, in the order first named.
std::vector<std::string> managers_not_in_snapshot(const Snapshot& snapshot, const std::vector<char>& invalid);

// The warnings about valid users whose manager is one of `nobody`, in
// record order.
std::vector<Finding> unknown_manager_warnings(const Snapshot& snapshot, const std::vector<char>& invalid,
                                              const std::set<std::string, std::less<>>& nobody);

}  // namespace peoplesync::core
