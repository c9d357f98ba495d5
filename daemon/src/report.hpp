// How runs and ChangeSets are shown: the --json report and the text a
// terminal reads.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "pipeline.hpp"

namespace peoplesync::core {

// The run report of `peoplesync run --json`. With `detail`, each sink also
// carries its ChangeSet in full (capped at detail_limit entries per kind).
nlohmann::json report_json(const RunReport& report, bool detail, std::size_t detail_limit = 10000);
nlohmann::json summary_json(const ChangeSummary& summary);
nlohmann::json changes_json(const ChangeSet& changes, std::size_t limit);

// Human-readable, for the CLI: a summary, then the detail when asked.
void print_report(std::ostream& out, const nlohmann::json& report, bool detail);

}  // namespace peoplesync::core
