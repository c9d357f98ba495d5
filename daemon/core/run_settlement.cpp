// What becomes of a run whose process died (killed, crashed, a power cut)
// while it was "running": the next process to hold the pipeline asks each
// sink whether it committed the run, and records the run as applied, with
// what the run recorded of itself before it applied, or as interrupted.
#include <algorithm>

#include <Poco/Logger.h>

#include "pipeline.hpp"
#include "report.hpp"

namespace peoplesync::core {

namespace {
enum class Committed { yes, no, unknown };

// "sink a", "sinks a, b".
std::string sink_list(const std::vector<std::string>& list) {
    std::string out = list.size() == 1 ? "sink " : "sinks ";
    for (std::size_t i = 0; i < list.size(); ++i) out += (i == 0 ? "" : ", ") + list[i];
    return out;
}
}  // namespace

void Pipeline::settle_unfinished_runs() {
    for (RunRecord& run : state_.unfinished_runs(settings_.name)) settle(run);
}

void Pipeline::settle(RunRecord& run) {
    Poco::Logger& log = Poco::Logger::get("peoplesync." + settings_.name);
    // Whether sink i committed the run: a sink that delivers queued it in
    // the core's outbox; any other says so if it keeps a RunLedger.
    auto committed = [&](std::size_t i) {
        try {
            if (sinks_[i]->delivers()) {
                const std::optional<bool> queued =
                    state_.outbox().queued_run(settings_.name, settings_.sinks[i].name, run.id);
                return !queued ? Committed::unknown : *queued ? Committed::yes : Committed::no;
            }
            if (auto* ledger = dynamic_cast<RunLedger*>(sinks_[i].get()))
                return ledger->applied(run.id) ? Committed::yes : Committed::no;
        } catch (const std::exception& e) {
            log.warning("run " + std::to_string(run.id) + ": sink " + settings_.sinks[i].name +
                        " cannot say whether it applied the run: " + e.what());
        }
        return Committed::unknown;
    };
    nlohmann::json plan = nlohmann::json::parse(run.plan.empty() ? "{}" : run.plan, nullptr, false);
    if (!plan.is_object()) plan = nlohmann::json::object();
    auto planned = [&plan](const std::string& sink) -> std::optional<nlohmann::json> {
        for (const auto& entry : plan.value("sinks", nlohmann::json::array()))
            if (entry.value("name", "") == sink && entry.contains("changes")) return entry["changes"];
        return std::nullopt;
    };
    nlohmann::json sinks = nlohmann::json::array(), total = summary_json({});
    std::vector<std::string> applied, not_applied, unknown;
    bool counted = true;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        const std::string& name = settings_.sinks[i].name;
        const std::optional<nlohmann::json> changes = planned(name);
        const bool nothing =
            changes && std::all_of(changes->begin(), changes->end(), [](const nlohmann::json& n) { return n == 0; });
        const Committed done = nothing ? Committed::no : committed(i);
        nlohmann::json sink = {{"name", name},
                               {"status", nothing                  ? to_string(RunStatus::noop)
                                          : done == Committed::yes ? to_string(RunStatus::applied)
                                          : done == Committed::no  ? to_string(RunStatus::interrupted)
                                                                   : "unknown"},
                               {"changes", summary_json({})},
                               {"synced_before", 0},
                               {"removals", 0}};
        if (done == Committed::yes) {
            applied.push_back(name);
            if (changes) {
                sink["changes"] = *changes;
                for (auto& [kind, count] : total.items()) count = count.get<std::int64_t>() + changes->value(kind, 0);
            } else {
                counted = false;
                sink["message"] = "it applied the run; what it changed could not be recorded";
            }
        } else if (done == Committed::no && !nothing) {
            not_applied.push_back(name);
            sink["message"] = "it had not committed the run";
        } else if (done == Committed::unknown) {
            unknown.push_back(name);
            sink["message"] = "it cannot tell whether it applied the run";
        }
        sinks.push_back(std::move(sink));
    }

    const std::string id = std::to_string(run.id);
    std::string message = "the process doing this run stopped before it finished; ";
    if (!applied.empty()) {
        run.status = to_string(RunStatus::applied);
        message += sink_list(applied) + " had committed it";
        if (!not_applied.empty())
            message += ", " + sink_list(not_applied) + " had not (the next run applies what is missing)";
        if (!unknown.empty()) message += ", " + sink_list(unknown) + " cannot tell whether it applied it";
        message += counted ? "; its findings and the detail of its changes were not recorded"
                           : "; what it changed, its findings and their detail could not be recorded";
        message += run.snapshot_key.empty() ? "; its snapshot was not stored"
                                            : " (peoplesync simulate " + id + " diffs its snapshot against now)";
    } else {
        run.status = to_string(RunStatus::interrupted);
        message += unknown.empty()
                       ? "nothing was applied"
                       : "no sink says it applied the run, but " + sink_list(unknown) + " cannot tell whether it did";
    }
    if (run.snapshot_key.empty()) run.users = plan.value("users", std::int64_t{0});
    run.message = message;
    const nlohmann::json result = {{"run", run.id},
                                   {"pipeline", run.pipeline},
                                   {"mode", run.mode},
                                   {"status", run.status},
                                   {"users", run.users},
                                   {"changes", total},
                                   {"findings", nlohmann::json::array()},
                                   {"sinks", std::move(sinks)},
                                   {"message", message}};
    run.result = result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    state_.settle_run(run);
    log.information("run " + id + ", left running by a process that stopped, is settled as " + run.status + ": " +
                    message);
}

}  // namespace peoplesync::core
