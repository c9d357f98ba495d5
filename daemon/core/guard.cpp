// The guard stage: too many removals block a run until an operator approves it.
#include "guard.hpp"

#include <algorithm>
#include <cstdio>

#include "pipeline.hpp"
#include "run_support.hpp"

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

void DeletionGuard::weigh(RunReport& report) const {
    for (SinkOutcome& outcome : report.sinks) outcome.guard = check(outcome.removals, outcome.synced_before);
}

bool passes_guard(RunReport& report, UniqueFindings& findings, bool apply, bool force, bool pushed) {
    const bool guarded =
        std::any_of(report.sinks.begin(), report.sinks.end(), [](const SinkOutcome& o) { return !o.guard.empty(); });
    if (!apply) {
        for (auto& outcome : report.sinks) {
            outcome.status = SinkStatus::simulated;
            if (!outcome.guard.empty())
                findings.add({Severity::warning, "sink " + outcome.name,
                              "a live run would be blocked by the deletion guard: " + outcome.guard, -1});
        }
        report.status = RunStatus::simulated;
        return false;
    }
    if (guarded && !force) {
        for (auto& outcome : report.sinks) {
            outcome.status = outcome.guard.empty() ? SinkStatus::simulated : SinkStatus::blocked;
            outcome.message = outcome.guard;
        }
        report.status = RunStatus::blocked;
        // A pushed snapshot is not read again: only approving applies it.
        const std::string approve = "peoplesync approve " + std::to_string(report.run_id);
        report.message = "blocked by the deletion guard; nothing was applied. " +
                         (pushed ? "Approve the run to apply it: " + approve
                                 : "Approve the run (" + approve + ") or run with --force to apply it");
        return false;
    }
    return true;
}

}  // namespace peoplesync::core
