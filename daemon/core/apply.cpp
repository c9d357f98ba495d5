// The apply stage: each sink applies its ChangeSet in one transaction of its
// own; a sink that fails fails the run, not the other sinks.
#include <Poco/Logger.h>

#include "pipeline.hpp"
#include "report.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

void Pipeline::apply_changes(RunReport& report, const Snapshot& snapshot, bool whole_snapshot) {
    const auto started = std::chrono::steady_clock::now();
    // What the run applies, recorded beside the apply: should its process die
    // once a sink committed, the run can still say what it did.
    std::future<void> planned = threads::on_a_thread(
        [this, run_id = report.run_id,
         plan = plan_json(report, whole_snapshot).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)] {
            state_.record_run_plan(run_id, plan);
        });
    bool failed = false, applied = false;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkOutcome& outcome = report.sinks[i];
        if (outcome.changes.empty()) {
            outcome.status = SinkStatus::noop;
            continue;
        }
        try {
            sinks_[i]->apply(snapshot, outcome.changes, ApplyContext{report.run_id, settings_.name});
            outcome.status = SinkStatus::applied;
            applied = true;
        } catch (const std::exception& e) {
            outcome.status = SinkStatus::failed;
            outcome.message = e.what();
            failed = true;
        } catch (...) {
            // A plugin may throw anything; it still only fails the run.
            outcome.status = SinkStatus::failed;
            outcome.message = "the sink threw an exception that is not a std::exception";
            failed = true;
        }
    }
    report.apply_seconds = seconds_since(started);
    try {
        planned.get();
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync." + settings_.name)
            .warning("run " + std::to_string(report.run_id) +
                     ": its changes could not be recorded before its apply: " + e.what());
    }
    report.status = failed ? RunStatus::failed : applied ? RunStatus::applied : RunStatus::noop;
    if (failed) {
        for (const auto& outcome : report.sinks)
            if (outcome.status == SinkStatus::failed)
                report.message +=
                    (report.message.empty() ? "" : "; ") + ("sink " + outcome.name + ": " + outcome.message);
    }
}

}  // namespace peoplesync::core
