#include "diff_stage.hpp"

#include <algorithm>

#include "report.hpp"

namespace peoplesync::core {

DiffStage::DiffStage(const Snapshot& snapshot, const SyncPolicy& policy, std::vector<Sink*> sinks,
                     std::vector<std::future<DestinationIndex>> indexes, const RestOfSource* rest)
    : snapshot_(snapshot),
      policy_(policy),
      sinks_(std::move(sinks)),
      indexes_(std::move(indexes)),
      rest_(rest),
      destinations_(sinks_.size()) {
    as_valid_ = threads::on_a_thread([this] {
        for (std::size_t i = 0; i < sinks_.size(); ++i) destinations_[i] = indexes_[i].get();
        return diff_all(std::vector<char>(snapshot_.users.size(), 0));
    });
}

std::vector<DiffResult> DiffStage::results(const std::vector<char>& invalid) {
    std::vector<DiffResult> diffs = as_valid_.get();
    if (std::find(invalid.begin(), invalid.end(), 1) != invalid.end()) diffs = diff_all(invalid);
    return diffs;
}

std::vector<DiffResult> DiffStage::diff_all(const std::vector<char>& invalid) {
    std::vector<DiffResult> out;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        Sink& sink = *sinks_[i];
        out.push_back(diff(
            snapshot_, invalid, policy_, destinations_[i],
            [&sink](std::span<const std::int64_t> ids) { return sink.fetch(ids); }, rest_));
    }
    return out;
}

std::vector<SinkOutcome> sink_outcomes(std::vector<DiffResult>& diffs, const Snapshot& snapshot,
                                       const std::vector<std::string>& names, const SyncPolicy& policy,
                                       UniqueFindings& findings) {
    std::vector<SinkOutcome> outcomes;
    for (std::size_t i = 0; i < diffs.size(); ++i) {
        SinkOutcome outcome;
        outcome.name = names[i];
        DiffResult& diffed = diffs[i];
        for (const auto& f : diffed.findings) findings.add(f);
        outcome.changes = std::move(diffed.changes);
        outcome.detail = changes_json(snapshot, outcome.changes, detail_limit);
        outcome.synced_before = diffed.synced_before;
        outcome.removals = diffed.removals;
        if (!diffed.refused.empty() && policy.on_invalid == InvalidPolicy::reject) {
            outcome.status = SinkStatus::rejected;
            outcome.message = std::to_string(diffed.refused.size()) + " record(s) conflict with this destination";
        }
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

std::int64_t quarantined(const std::vector<char>& invalid, const std::vector<DiffResult>& diffs) {
    std::vector<char> quarantined = invalid;
    for (const DiffResult& diffed : diffs)
        for (const std::int64_t u : diffed.refused) quarantined[static_cast<std::size_t>(u)] = 1;
    return std::count(quarantined.begin(), quarantined.end(), 1);
}

}  // namespace peoplesync::core
