// When a change-only run's outcome could differ from a full run's, it gives
// up before anything is applied, and the run reads everything instead.
#include <algorithm>

#include "change_only.hpp"

namespace peoplesync::core {

void expect_clean_records(const RunReport& report) {
    if (!report.findings.empty())
        throw NotChangeOnly("the records read have findings (" + report.findings.front().location + ": " +
                            report.findings.front().message + ")");
}

void expect_same_as_full_run(const RunReport& report, const UnreadRecords& unread, bool apply) {
    if (!report.findings.empty())
        throw NotChangeOnly("the diff has findings (" + report.findings.front().location + ": " +
                            report.findings.front().message + ")");
    if (std::any_of(report.sinks.begin(), report.sinks.end(), [](const SinkOutcome& o) { return !o.guard.empty(); }))
        throw NotChangeOnly("the deletion guard objects");
    if (!apply) throw NotChangeOnly("the run applies nothing");
    for (const SinkOutcome& outcome : report.sinks)
        if (!outcome.changes.departments_adopted.empty())
            throw NotChangeOnly("sink " + outcome.name +
                                " has departments to adopt, whose members may be records not read");
    // A record not read whose manager this run renames would lose that
    // manager in a full run.
    for (const SinkOutcome& outcome : report.sinks)
        for (const UserChange& change : outcome.changes.users)
            if (change.linked && !change.previous_hris_id.empty() && change.previous_hris_id != change.hris_id &&
                unread.cited_as_manager(change.previous_hris_id))
                throw NotChangeOnly("\"" + change.previous_hris_id +
                                    "\", the manager of a record not read, becomes \"" + change.hris_id + "\"");
    for (const SinkOutcome& outcome : report.sinks)
        if (outcome.synced_before != unread.synced_before)
            throw NotChangeOnly("sink " + outcome.name + " holds " + std::to_string(outcome.synced_before) +
                                " synced users, the last run left " + std::to_string(unread.synced_before));
}

}  // namespace peoplesync::core
