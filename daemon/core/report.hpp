// How runs and ChangeSets are shown: the --json report and the text a
// terminal reads.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "pipeline.hpp"
#include "state_store.hpp"

namespace peoplesync::core {

// The run report of `peoplesync run --json`. With `detail`, each sink also
// carries its ChangeSet (SinkOutcome::detail).
nlohmann::json report_json(const RunReport& report, bool detail);
nlohmann::json summary_json(const ChangeSummary& summary);
// The ChangeSet entry by entry, at most `limit` entries of each kind.
nlohmann::json changes_json(const Snapshot& snapshot, const ChangeSet& changes, std::size_t limit);
// What a run is about to apply (RunRecord::plan): each sink's change counts
// and, when the run has the whole snapshot, its users.
nlohmann::json plan_json(const RunReport& report, bool whole_snapshot);

// A recorded run: one line of `runs` (changes counted), or in full as `show`
// prints it (findings, ChangeSet detail, trigger, times, snapshot).
nlohmann::json run_summary_json(const RunRecord& run);
nlohmann::json run_detail_json(const RunRecord& run);
// Into `report`, the findings and the count of quarantined records of a
// recorded run.
void carry_findings(const RunRecord& run, RunReport& report);

// Human-readable, for the CLI: a summary, then the detail when asked.
void print_report(std::ostream& out, const nlohmann::json& report, bool detail);

}  // namespace peoplesync::core
