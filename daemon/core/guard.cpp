// The guard stage: too many removals block a run until an operator approves it.
#include "guard.hpp"

#include <cstdio>

namespace peoplesync::core {

std::string DeletionGuard::check(std::int64_t removals, std::int64_t synced_before) const {
    if (removals == 0) return {};
    if (removals > limits.max_removals)
        return "the run would deactivate or unsync " + std::to_string(removals) + " users, more than max_removals (" +
               std::to_string(limits.max_removals) + ")";
    const double percent =
        synced_before > 0 ? 100.0 * static_cast<double>(removals) / static_cast<double>(synced_before) : 100.0;
    if (percent > limits.max_removal_percent) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f", percent);
        char limit[32];
        std::snprintf(limit, sizeof limit, "%g", limits.max_removal_percent);
        return "the run would deactivate or unsync " + std::to_string(removals) + " of " +
               std::to_string(synced_before) + " synced users (" + text + "%), more than max_removal_percent (" +
               limit + "%)";
    }
    return {};
}

}  // namespace peoplesync::core
