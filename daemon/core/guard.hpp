// The guard stage (docs/design.md §2): a run that would deactivate or unsync
// more users than the count or the percentage of synced users allows is
// blocked.
#pragma once

#include <cstdint>
#include <string>

#include "settings.hpp"

namespace peoplesync::core {

struct DeletionGuard {
    DeletionGuardSettings limits;
    // Empty when the run may go on; otherwise why it may not.
    std::string check(std::int64_t removals, std::int64_t synced_before) const;
};

}  // namespace peoplesync::core
