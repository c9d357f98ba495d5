// The guard stage (docs/design.md §2): a run that would deactivate or unsync
// more users than the count or the percentage of synced users allows is
// blocked.
#pragma once

#include <cstdint>
#include <string>

#include "settings.hpp"

namespace peoplesync::core {

struct RunReport;
class UniqueFindings;

struct DeletionGuard {
    DeletionGuardSettings limits;
    // Empty when the run may go on; otherwise why it may not.
    std::string check(std::int64_t removals, std::int64_t synced_before) const;
    // Each sink's objection (SinkOutcome::guard), from its diff's removals.
    void weigh(RunReport& report) const;
};

// Whether the run goes on to apply. One that applies nothing (test mode, a
// dry run, a simulation) ends here as simulated, with the guard's objections
// as warnings; one the guard objects to ends blocked unless `force`.
// `pushed`: the source pushes, so only approving the run applies it.
bool passes_guard(RunReport& report, UniqueFindings& findings, bool apply, bool force, bool pushed);

}  // namespace peoplesync::core
