// outbox, outbox retry|drop|deliver: what the sinks that deliver to a remote
// receiver still have to send; and the delivery a run here tries at its end.
#include <iostream>
#include <string>

#include "session.hpp"

namespace peoplesync::cli {

using nlohmann::json;
using peoplesync::DeliveryResult;

bool deliver(Session& session, core::Pipeline& pipeline, bool verbose) {
    bool all = true;
    const std::string& name = pipeline.settings().name;
    auto& outbox = session.state().outbox();
    std::ostream& out = session.json_output() ? std::cerr : std::cout;
    for (const auto& sink : pipeline.delivering_sinks()) {
        std::string holder;
        auto held = session.locks().try_lock(core::delivery_lock_name(name, sink.name), &holder);
        if (!held) {
            out << "sink " << sink.name << ": " << holder << " is delivering its messages\n";
            continue;
        }
        auto events = core::deliver_due(outbox, name, sink.name, *sink.sink, sink.retry, true);
        for (const auto& e : events) {
            out << "sink " << sink.name << ": message " << e.entry << " (run " << e.run_id << "): ";
            if (e.outcome == DeliveryResult::Outcome::delivered)
                out << "delivered (" << e.message << ")\n";
            else
                out << "not delivered: " << e.message << "\n";
        }
        auto state = outbox.sink(name, sink.name);
        if (!state.stopped.empty()) {
            all = false;
            out << "sink " << sink.name << ": delivery STOPPED: " << state.stopped
                << "\n  fix the cause, then: peoplesync outbox retry " << name << " " << sink.name
                << "   (or drop it: peoplesync outbox drop " << name << " " << sink.name << ")\n";
        } else if (state.pending > 0) {
            all = false;
            out << "sink " << sink.name << ": " << state.pending
                << " message(s) wait in the outbox; peoplesyncd retries them, or: peoplesync outbox deliver " << name
                << "\n";
        } else if (verbose && events.empty()) {
            out << "sink " << sink.name << ": nothing waits\n";
        }
    }
    return all;
}

namespace {

// outbox retry|drop PIPELINE SINK
int resume_or_drop(Session& session, const std::string& action) {
    const std::string& name = session.args().operand(1, "a pipeline name");
    const std::string& sink = session.args().operand(2, "a sink name");
    if (auto* d = session.daemon()) {
        json out = d->post("/admin/v1/pipelines/" + name + "/sinks/" + sink + "/outbox/" + action);
        if (action == "retry")
            std::cout << "sink " << sink << ": delivery goes on; " << out.value("waiting", 0)
                      << " message(s) waiting are tried again now by peoplesyncd\n";
        else
            std::cout << "sink " << sink << ": dropped " << out.value("dropped", 0) << " message(s)\n";
        return ok;
    }
    auto& p = session.pipeline(name);
    if (!p.delivers(sink))
        throw UsageError("pipeline " + name + " has no sink \"" + sink + "\" that delivers to a remote receiver");
    auto& outbox = session.state().outbox();
    if (action == "drop") {
        std::cout << "sink " << sink << ": dropped " << outbox.drop(name, sink)
                  << " message(s); the next run sends what changed since the receiver's last acknowledged state\n";
        return ok;
    }
    std::cout << "sink " << sink << ": " << outbox.resume(name, sink) << " message(s) waiting; trying now\n";
    return deliver(session, p, true) ? ok : failed;
}

}  // namespace

int outbox(Session& session) {
    const std::string action = session.args().operand_or(0);
    if (action == "retry" || action == "drop") return resume_or_drop(session, action);
    if (action == "deliver") {
        const std::string& name = session.args().operand(1, "a pipeline name");
        if (session.daemon())
            throw UsageError("peoplesyncd delivers the outbox of this state database; see peoplesync outbox");
        return deliver(session, session.pipeline(name), true) ? ok : failed;
    }
    if (!action.empty()) session.settings().pipeline(action);
    json out =
        core::outbox_json(session.state().outbox(), action, core::running_daemon(session.settings()).has_value());
    if (session.json_output())
        session.print_json(out);
    else
        core::print_outbox(std::cout, out);
    return ok;
}

}  // namespace peoplesync::cli
