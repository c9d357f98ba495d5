// validate, plugins, status, run, simulate, enable, disable, approve: the
// commands that check, run and switch pipelines.
#include <iomanip>
#include <iostream>
#include <string>
#include <string_view>

#include "request_log.hpp"
#include "session.hpp"
#include "tls_files.hpp"

namespace peoplesync::cli {

using nlohmann::json;

// What the daemon's start checks too: every pipeline built with its
// plugins, and the TLS files read.
int validate(Session& session) {
    const auto& settings = session.settings();
    for (const auto& p : settings.pipelines) session.pipeline(p.name);
    const auto& tls = settings.http.tls;
    const std::string fingerprint = tls.enabled() ? core::check_tls_files(tls) : "";
    std::cout << settings.file.string() << ": valid, " << settings.pipelines.size() << " pipeline(s)\n";
    if (!fingerprint.empty())
        std::cout << "  https: " << tls.certificate_file.string() << " (SHA-256 " << fingerprint << ")\n";
    for (const auto& p : settings.pipelines) {
        std::cout << "  " << p.name << ": source " << p.source.type << " -> sinks";
        for (const auto& s : p.sinks) std::cout << " " << s.name << " (" << s.type << ")";
        std::cout << "; mode " << core::to_string(p.sync.mode) << ", on_invalid " << core::to_string(p.sync.on_invalid)
                  << "\n";
    }
    return ok;
}

int plugins(Session& session) {
    for (const auto& p : session.plugins().plugins()) {
        std::cout << peoplesync::to_string(p.kind) << " " << p.type << ": " << p.description << "\n    "
                  << p.file.string() << "\n";
        if (session.args().flag("options"))
            for (const auto& o : p.options)
                std::cout << "    " << std::left << std::setw(28) << o.name << " " << std::setw(8)
                          << peoplesync::to_string(o.type) << (o.is_required ? "required " : "")
                          << (o.default_value.empty()    ? ""
                              : o.default_is_description ? "by default " + o.default_value + ". "
                                                         : "default " + o.default_value + ". ")
                          << o.description << "\n";
    }
    for (const auto& r : session.plugins().refused()) {
        // A load error names its file itself; say it once.
        std::string_view reason = r.reason;
        if (reason.starts_with(r.file.string() + ": ")) reason.remove_prefix(r.file.string().size() + 2);
        std::cout << "refused " << r.file.string() << ": " << reason << "\n";
    }
    return ok;
}

int status(Session& session) {
    auto& state = session.state();
    const auto& settings = session.settings();
    for (const auto& p : settings.pipelines) {
        const bool enabled = state.enabled_fingerprint(p.name).has_value();
        const bool live = state.live(p.name, p.fingerprint, settings.loaded_at_ms);
        std::cout << std::left << std::setw(20) << p.name << " " << (live ? "live" : "test");
        if (enabled && !live) std::cout << " (configuration changed since it was enabled)";
        std::cout << "  fingerprint " << p.fingerprint.substr(0, 12) << "\n";
        for (const auto& sink : state.outbox().sinks(p.name)) {
            if (!sink.stopped.empty())
                std::cout << "  sink " << sink.sink << ": delivery STOPPED (" << sink.pending
                          << " waiting): " << sink.stopped << "\n";
            else if (sink.pending > 0)
                std::cout << "  sink " << sink.sink << ": " << sink.pending << " message(s) waiting to be delivered\n";
        }
    }
    if (auto info = core::read_daemon_info(core::daemon_info_file(settings.state_database))) {
        try {
            if (session.daemon()) std::cout << "peoplesyncd (pid " << info->pid << ") serves " << info->url << "\n";
        } catch (const peoplesync::Error& e) {
            std::cout << e.what() << "\n";
        }
    }
    return ok;
}

int run(Session& session) {
    const auto& args = session.args();
    core::RunRequest request;
    request.dry_run = args.flag("dry-run");
    request.full = args.flag("full");
    request.force = args.flag("force");
    request.trigger = request.force ? "cli --force" : "cli";
    const std::string& name = args.operand(0, "a pipeline name");
    if (auto* d = session.daemon()) {
        json body = session.run_request_body();
        body["trigger"] = "cli through peoplesyncd";
        try {
            return session.report(d->post("/admin/v1/pipelines/" + name + "/run", body));
        } catch (const core::AdminError& e) {
            // What --local refuses as a usage error exits alike through the daemon.
            if (e.status() == 409) throw UsageError(e.what());
            throw;
        }
    }
    auto& p = session.pipeline(name);
    if (const std::string refused = p.why_not_on_demand(); !refused.empty()) throw UsageError(refused);
    int status = ok;
    {
        auto held = session.lock(name);
        status = session.report(p.run(request, session.progress()));
    }
    deliver(session, p, false);
    return status;
}

int simulate(Session& session) {
    const auto& args = session.args();
    if (args.flag("request")) {
        auto id = positive_number(args.value("request"), "--request");
        if (auto* d = session.daemon())
            return session.report(d->post("/admin/v1/requests/" + std::to_string(id) + "/simulate"));
        core::RequestLog log(session.settings().state_database);
        auto request = log.get(id);
        if (!request) throw peoplesync::Error("there is no request " + std::to_string(id));
        auto& p = session.pipeline(request->pipeline);
        if (request->run_id != 0) return session.report(p.simulate(request->run_id, session.progress()));
        return session.report(p.simulate_snapshot(core::pushed_snapshot(*request, log.body(id)), session.progress()));
    }
    auto id = positive_number(args.operand(0, "a run id"), "RUN");
    if (auto* d = session.daemon())
        return session.report(d->post("/admin/v1/runs/" + std::to_string(id) + "/simulate"));
    return session.report(session.pipeline_of_run(id).simulate(id, session.progress()));
}

int approve(Session& session) {
    auto id = positive_number(session.args().operand(0, "a run id"), "RUN");
    if (auto* d = session.daemon())
        return session.report(d->post("/admin/v1/runs/" + std::to_string(id) + "/approve", session.run_request_body()));
    auto& p = session.pipeline_of_run(id);
    auto held = session.lock(p.settings().name);
    return session.report(p.approve(id, session.progress()));
}

namespace {

int switch_mode(Session& session, bool live) {
    const std::string& name = session.args().operand(0, "a pipeline name");
    std::string fingerprint;
    if (auto* d = session.daemon()) {
        json out = d->post("/admin/v1/pipelines/" + name + (live ? "/enable" : "/disable"));
        fingerprint = out.value("fingerprint", "");
    } else {
        auto& p = session.pipeline(name);
        if (live)
            p.enable();
        else
            p.disable();
        fingerprint = p.settings().fingerprint;
    }
    if (live)
        std::cout << "pipeline " << name << " is live (fingerprint " << fingerprint.substr(0, 12)
                  << "); its runs now apply changes\n";
    else
        std::cout << "pipeline " << name << " is in test mode; its runs only simulate\n";
    return ok;
}

}  // namespace

int enable(Session& session) {
    return switch_mode(session, true);
}
int disable(Session& session) {
    return switch_mode(session, false);
}

}  // namespace peoplesync::cli
