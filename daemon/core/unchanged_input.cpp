// The short cut: a live run whose source input and destinations are as the
// last full run left them is a noop without reading anything.
#include "pipeline.hpp"
#include "report.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

std::vector<std::string> Pipeline::sink_tokens() {
    std::vector<std::string> tokens;
    for (auto& sink : sinks_) tokens.push_back(sink->state_token());
    return tokens;
}

std::optional<RunInputs> Pipeline::done_run_inputs() {
    auto inputs = state_.run_inputs(settings_.name);
    if (!inputs) return inputs;
    // Recorded with their run since that run finished; a state database of
    // an earlier build may name a run that never did.
    const auto run = state_.run(inputs->run_id, StateStore::RunResult::none);
    if (!run ||
        (parse_run_status(run->status) != RunStatus::applied && parse_run_status(run->status) != RunStatus::noop))
        return std::nullopt;
    return inputs;
}

bool Pipeline::unchanged(const std::string& digest, RunRecord& record, RunReport& report) {
    auto last = done_run_inputs();
    if (!last || last->fingerprint != settings_.fingerprint || last->digest != digest) return false;
    if (epoch_ms() / 1000 - last->full_at >= settings_.full_resync_every_secs) return false;
    const std::vector<std::string> tokens = sink_tokens();
    if (tokens != last->tokens || !all_known(tokens)) return false;
    report.status = RunStatus::noop;
    report.users = last->users;
    report.unchanged_since_run = last->run_id;
    report.message = "unchanged since run " + std::to_string(last->run_id) +
                     ": the same source input, and no destination changed since; nothing was read or diffed "
                     "(run with --full to check everything)";
    // Nothing is read: what that run found holds still, and the records it
    // quarantined stay so.
    if (const auto stood_on = state_.run(last->run_id, StateStore::RunResult::findings))
        carry_findings(*stood_on, report);
    if (!report.findings.empty()) report.message += "; the findings are those of run " + std::to_string(last->run_id);
    for (const auto& sink : settings_.sinks) {
        SinkOutcome outcome;
        outcome.name = sink.name;
        outcome.status = SinkStatus::noop;
        outcome.detail = changes_json(Snapshot{}, outcome.changes, 0);
        report.sinks.push_back(std::move(outcome));
    }
    record.snapshot_key = last->snapshot_key;
    record.users = last->users;
    return true;
}

}  // namespace peoplesync::core
