// The validate stage (docs/design.md §2).
#pragma once

#include <vector>

#include <peoplesync/model.hpp>

#include "settings.hpp"

namespace peoplesync::core {

// Schema and snapshot findings: record errors, manager cycles (error).
// Returns the invalid records, one flag per user.
std::vector<char> validate(Snapshot& snapshot, const SyncPolicy& policy);

}  // namespace peoplesync::core
