// The validate stage (docs/design.md §2).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <peoplesync/model.hpp>

#include "settings.hpp"

namespace peoplesync::core {

// Schema and snapshot findings: record errors, manager cycles (error).
// Returns the invalid records, one flag per user.
std::vector<char> validate(Snapshot& snapshot, const SyncPolicy& policy);

// What the validate stage leaves a run.
struct Validation {
    std::vector<char> invalid;  // one flag per user
    std::int64_t invalid_count = 0;
    // Why the run applies nothing (a finding about the whole snapshot, or
    // invalid records under on_invalid: reject); empty when it goes on.
    std::string rejection;
};
// validate(), and what its findings mean for the run under the policy.
Validation validate_snapshot(Snapshot& snapshot, const SyncPolicy& policy);

}  // namespace peoplesync::core
