// peoplesync: run, simulate, enable and inspect pipelines from a shell.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <termios.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "admin_client.hpp"
#include "console_password.hpp"
#include "pipeline.hpp"
#include "plugin_host.hpp"
#include "report.hpp"
#include "request_log.hpp"
#include "run_lock.hpp"
#include "settings.hpp"
#include "state_store.hpp"
#include "tls_files.hpp"
#include "version.hpp"

namespace core = peoplesync::core;
using nlohmann::json;
using peoplesync::DeliveryResult;

namespace {

// Exit statuses, documented in the README.
enum Exit : int { ok = 0, failed = 1, config_error = 2, rejected = 3, blocked = 4 };

const char* usage = R"(usage: peoplesync [--config FILE] [--verbose] [--local] COMMAND [ARGS]
       peoplesync --version

Commands:
  validate                      check the configuration, every plugin it names and the
                                TLS files, as peoplesyncd's start does
  plugins [--options]           list the plugins found (and files refused, with why)
  status                        list pipelines with their mode (test or live)
  run PIPELINE [--dry-run] [--force] [--full] [--json] [--detail]
                                read the source and sync; test mode only simulates;
                                --full even when nothing changed since the last run
  simulate RUN [--json] [--detail]
                                diff a logged run's snapshot against the destination now
  enable PIPELINE               go live with the pipeline's current configuration
  disable PIPELINE              back to test mode
  approve RUN [--json]          apply a run the deletion guard blocked
  runs [PIPELINE] [--limit N] [--json]
                                list recent runs
  show RUN [--json]             one run with its findings and changes
  requests [PIPELINE] [--limit N] [--json]
                                list requests pushed to webhook sources
  request ID [--json]           one pushed request with its findings and its run
  simulate --request ID [--json] [--detail]
                                diff a logged request's snapshot against the destination now
  webhook-credentials PIPELINE  make a webhook's endpoint and API key (shown once; rotates)
  command PIPELINE source|SINK NAME [ARGS]
                                run a plugin's command (see the plugin's README)
  outbox [PIPELINE] [--json]    what sinks that deliver (webhook) still have to send
  outbox retry PIPELINE SINK    a stopped delivery: try its waiting messages again now
  outbox drop PIPELINE SINK     a stopped delivery: drop its waiting messages (the next
                                run sends what changed since the last one delivered)
  outbox deliver PIPELINE       try every waiting message now (without peoplesyncd)
  directory [--pipeline P] [--sink S] show USER
  directory [--pipeline P] [--sink S] set USER FIELD VALUE
                                read or edit a user of a directory sink, as its users
                                would (synced fields of synced users are read-only)
  console-password              read a password from stdin and print its hash, for
                                admin.console_password_hash (needs no configuration)

The configuration is --config, else $PEOPLESYNC_CONFIG, else ./etc/peoplesync.yaml.
While peoplesyncd runs on the same state database, run, simulate, approve, enable,
disable and plugin commands go through its admin API; --local acts here instead
(a run then waits for no one: it fails if the pipeline is running elsewhere).
Exit status: 0 success, 1 run failed, 2 configuration or usage error,
             3 snapshot rejected, 4 run blocked by the deletion guard.
)";

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;  // --name or --name VALUE
    bool flag(const std::string& name) const { return options.count(name) > 0; }
    std::string option(const std::string& name, std::string fallback = {}) const {
        auto it = options.find(name);
        return it == options.end() ? fallback : it->second;
    }
};

class UsageError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

Args parse(int argc, char** argv) {
    static const std::vector<std::string> with_value = {"--config", "--limit", "--pipeline", "--sink", "--request"};
    Args args;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) == 0) {
            if (auto eq = arg.find('='); eq != std::string::npos) {
                args.options[arg.substr(0, eq)] = arg.substr(eq + 1);
            } else if (std::find(with_value.begin(), with_value.end(), arg) != with_value.end()) {
                if (i + 1 >= argc) throw UsageError(arg + " needs a value");
                args.options[arg] = argv[++i];
            } else {
                args.options[arg] = "";
            }
        } else if (arg == "-c" || arg == "-v" || arg == "-h") {
            if (arg == "-c") {
                if (i + 1 >= argc) throw UsageError("-c needs a value");
                args.options["--config"] = argv[++i];
            } else {
                args.options[arg == "-v" ? "--verbose" : "--help"] = "";
            }
        } else {
            args.positional.push_back(arg);
        }
    }
    return args;
}

std::filesystem::path config_path(const Args& args) {
    if (args.flag("--config")) return args.option("--config");
    if (const char* env = std::getenv("PEOPLESYNC_CONFIG"); env && *env) return env;
    return "etc/peoplesync.yaml";
}

std::int64_t number(const std::string& text, const char* what) {
    try {
        std::size_t used = 0;
        long long n = std::stoll(text, &used);
        if (used == text.size() && n > 0) return n;
    } catch (const std::exception&) {
    }
    throw UsageError(std::string(what) + " must be a positive number, not \"" + text + "\"");
}

// Shows what a long run is doing, on a terminal only.
class TerminalProgress final : public core::ProgressListener {
public:
    TerminalProgress() : tty_(isatty(STDERR_FILENO) != 0) {}
    ~TerminalProgress() override { clear(); }
    void stage(const std::string& name) override {
        if (!tty_) return;
        stage_ = name;
        std::cerr << "\r\033[K" << name << "..." << std::flush;
        shown_ = true;
    }
    void progress(std::int64_t records) override {
        if (!tty_) return;
        std::cerr << "\r\033[K" << stage_ << ": " << records << " records" << std::flush;
        shown_ = true;
    }
    void clear() {
        if (shown_) std::cerr << "\r\033[K" << std::flush;
        shown_ = false;
    }

private:
    bool tty_;
    bool shown_ = false;
    std::string stage_;
};

int exit_for(const std::string& status) {
    if (status == "rejected") return rejected;
    if (status == "blocked") return blocked;
    if (status == "failed" || status == "interrupted") return failed;
    return ok;
}

class Cli {
public:
    explicit Cli(const Args& args)
        : args_(args),
          settings_(core::load_settings(config_path(args))),
          plugins_(settings_.plugin_dirs),
          state_(settings_.state_database),
          locks_(settings_.state_database, "peoplesync (pid " + std::to_string(::getpid()) + ")") {
        core::note_configurations(settings_, state_);
    }

    int dispatch() {
        const std::string& command = args_.positional.at(0);
        if (command == "validate") return validate();
        if (command == "plugins") return plugins();
        if (command == "status") return status();
        if (command == "run") return run();
        if (command == "simulate") return simulate();
        if (command == "enable" || command == "disable") return enable(command == "enable");
        if (command == "approve") return approve();
        if (command == "runs") return runs();
        if (command == "show") return show();
        if (command == "directory") return directory();
        if (command == "outbox") return outbox();
        if (command == "requests") return requests();
        if (command == "request") return request();
        if (command == "command" || command == "webhook-credentials") return plugin_command(command);
        throw UsageError("unknown command \"" + command + "\"");
    }

private:
    const std::string& arg(std::size_t i, const char* what) const {
        if (args_.positional.size() <= i) throw UsageError(args_.positional[0] + " needs " + what);
        return args_.positional[i];
    }

    core::Pipeline& pipeline(const std::string& name) {
        auto it = pipelines_.find(name);
        if (it != pipelines_.end()) return *it->second;
        const auto& settings = settings_.pipeline(name);
        auto made = std::make_unique<core::Pipeline>(settings_, settings, plugins_, state_);
        return *pipelines_.emplace(name, std::move(made)).first->second;
    }

    core::Pipeline& pipeline_of_run(std::int64_t run_id) {
        auto record = state_.run(run_id);
        if (!record) throw peoplesync::Error("there is no run " + std::to_string(run_id));
        return pipeline(record->pipeline);
    }

    // The daemon serving this state database, unless --local or none runs.
    const core::AdminClient* daemon() {
        if (!daemon_looked_up_ && !args_.flag("--local")) daemon_ = core::AdminClient::find(settings_);
        daemon_looked_up_ = true;
        return daemon_ ? &*daemon_ : nullptr;
    }

    // Holds the pipeline's run lock for a run here; refuses when another process runs it.
    core::PipelineLock lock(const std::string& name) {
        std::string holder;
        auto held = locks_.try_lock(name, &holder);
        if (!held)
            throw peoplesync::Error("pipeline " + name + " is running in " + holder + "; try again when it is done");
        return std::move(*held);
    }

    json request_body() const {
        return {{"dry_run", args_.flag("--dry-run")},
                {"force", args_.flag("--force")},
                {"full", args_.flag("--full")},
                {"detail", true}};
    }

    int report(const core::RunReport& report) { return report_json(core::report_json(report, args_.flag("--detail"))); }

    // A run report, from this process or from the daemon.
    int report_json(json out) {
        if (!args_.flag("--detail"))
            for (auto& sink : out["sinks"]) sink.erase("detail");
        progress_.clear();
        if (args_.flag("--json"))
            std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
        else
            core::print_report(std::cout, out, args_.flag("--detail"));
        return exit_for(out.value("status", ""));
    }

    // What the daemon's start checks too: every pipeline built with its
    // plugins, and the TLS files read.
    int validate() {
        for (const auto& p : settings_.pipelines) pipeline(p.name);
        const auto& tls = settings_.http.tls;
        const std::string fingerprint = tls.enabled() ? core::check_tls_files(tls) : "";
        std::cout << settings_.file.string() << ": valid, " << settings_.pipelines.size() << " pipeline(s)\n";
        if (!fingerprint.empty())
            std::cout << "  https: " << tls.certificate_file.string() << " (SHA-256 " << fingerprint << ")\n";
        for (const auto& p : settings_.pipelines) {
            std::cout << "  " << p.name << ": source " << p.source.type << " -> sinks";
            for (const auto& s : p.sinks) std::cout << " " << s.name << " (" << s.type << ")";
            std::cout << "; mode " << core::to_string(p.sync.mode) << ", on_invalid "
                      << core::to_string(p.sync.on_invalid) << "\n";
        }
        return ok;
    }

    int plugins() {
        for (const auto& p : plugins_.plugins()) {
            std::cout << peoplesync::to_string(p.kind) << " " << p.type << ": " << p.description << "\n    "
                      << p.file.string() << "\n";
            if (args_.flag("--options"))
                for (const auto& o : p.options)
                    std::cout << "    " << std::left << std::setw(28) << o.name << " " << std::setw(8)
                              << peoplesync::to_string(o.type) << (o.is_required ? "required " : "")
                              << (o.default_value.empty()    ? ""
                                  : o.default_is_description ? "by default " + o.default_value + ". "
                                                             : "default " + o.default_value + ". ")
                              << o.description << "\n";
        }
        for (const auto& r : plugins_.refused()) {
            // A load error names its file itself; say it once.
            std::string_view reason = r.reason;
            if (reason.starts_with(r.file.string() + ": ")) reason.remove_prefix(r.file.string().size() + 2);
            std::cout << "refused " << r.file.string() << ": " << reason << "\n";
        }
        return ok;
    }

    int status() {
        for (const auto& p : settings_.pipelines) {
            const bool enabled = state_.enabled_fingerprint(p.name).has_value();
            const bool live = state_.live(p.name, p.fingerprint, settings_.loaded_at_ms);
            std::cout << std::left << std::setw(20) << p.name << " " << (live ? "live" : "test");
            if (enabled && !live) std::cout << " (configuration changed since it was enabled)";
            std::cout << "  fingerprint " << p.fingerprint.substr(0, 12) << "\n";
            for (const auto& sink : state_.outbox().sinks(p.name)) {
                if (!sink.stopped.empty())
                    std::cout << "  sink " << sink.sink << ": delivery STOPPED (" << sink.pending
                              << " waiting): " << sink.stopped << "\n";
                else if (sink.pending > 0)
                    std::cout << "  sink " << sink.sink << ": " << sink.pending
                              << " message(s) waiting to be delivered\n";
            }
        }
        if (auto info = core::read_daemon_info(core::daemon_info_file(settings_.state_database))) {
            try {
                if (daemon()) std::cout << "peoplesyncd (pid " << info->pid << ") serves " << info->url << "\n";
            } catch (const peoplesync::Error& e) {
                std::cout << e.what() << "\n";
            }
        }
        return ok;
    }

    int run() {
        core::RunRequest request;
        request.dry_run = args_.flag("--dry-run");
        request.full = args_.flag("--full");
        request.force = args_.flag("--force");
        request.trigger = request.force ? "cli --force" : "cli";
        const std::string& name = arg(1, "a pipeline name");
        if (auto* d = daemon()) {
            json body = request_body();
            body["trigger"] = "cli through peoplesyncd";
            try {
                return report_json(d->post("/admin/v1/pipelines/" + name + "/run", body));
            } catch (const core::AdminError& e) {
                // What --local refuses as a usage error exits alike through the daemon.
                if (e.status() == 409) throw UsageError(e.what());
                throw;
            }
        }
        auto& p = pipeline(name);
        if (const std::string refused = p.why_not_on_demand(); !refused.empty()) throw UsageError(refused);
        int status = ok;
        {
            auto held = lock(name);
            status = report(p.run(request, progress_));
        }
        deliver(p, false);
        return status;
    }

    // Without peoplesyncd nobody else delivers what a run queued: try it now,
    // once; what is not delivered waits for the next run or `outbox deliver`.
    // Returns whether every waiting message went.
    bool deliver(core::Pipeline& p, bool verbose) {
        bool all = true;
        const std::string& name = p.settings().name;
        std::ostream& out = args_.flag("--json") ? std::cerr : std::cout;
        for (const auto& sink : p.delivering_sinks()) {
            std::string holder;
            auto held = locks_.try_lock(core::delivery_lock_name(name, sink.name), &holder);
            if (!held) {
                out << "sink " << sink.name << ": " << holder << " is delivering its messages\n";
                continue;
            }
            auto events = core::deliver_due(state_.outbox(), name, sink.name, *sink.sink, sink.retry, true);
            for (const auto& e : events) {
                out << "sink " << sink.name << ": message " << e.entry << " (run " << e.run_id << "): ";
                if (e.outcome == DeliveryResult::Outcome::delivered)
                    out << "delivered (" << e.message << ")\n";
                else
                    out << "not delivered: " << e.message << "\n";
            }
            auto state = state_.outbox().sink(name, sink.name);
            if (!state.stopped.empty()) {
                all = false;
                out << "sink " << sink.name << ": delivery STOPPED: " << state.stopped
                    << "\n  fix the cause, then: peoplesync outbox retry " << name << " " << sink.name
                    << "   (or drop it: peoplesync outbox drop " << name << " " << sink.name << ")\n";
            } else if (state.pending > 0) {
                all = false;
                out << "sink " << sink.name << ": " << state.pending
                    << " message(s) wait in the outbox; peoplesyncd retries them, or: peoplesync outbox deliver "
                    << name << "\n";
            } else if (verbose && events.empty()) {
                out << "sink " << sink.name << ": nothing waits\n";
            }
        }
        return all;
    }

    int outbox() {
        const std::string action = args_.positional.size() > 1 ? args_.positional[1] : "";
        if (action == "retry" || action == "drop") {
            const std::string& name = arg(2, "a pipeline name");
            const std::string& sink = arg(3, "a sink name");
            if (auto* d = daemon()) {
                json out = d->post("/admin/v1/pipelines/" + name + "/sinks/" + sink + "/outbox/" + action);
                if (action == "retry")
                    std::cout << "sink " << sink << ": delivery goes on; " << out.value("waiting", 0)
                              << " message(s) waiting are tried again now by peoplesyncd\n";
                else
                    std::cout << "sink " << sink << ": dropped " << out.value("dropped", 0) << " message(s)\n";
                return ok;
            }
            auto& p = pipeline(name);
            if (!p.delivers(sink))
                throw UsageError("pipeline " + name + " has no sink \"" + sink +
                                 "\" that delivers to a remote receiver");
            if (action == "drop") {
                std::cout << "sink " << sink << ": dropped " << state_.outbox().drop(name, sink)
                          << " message(s); the next run sends what changed since the receiver's last "
                             "acknowledged state\n";
                return ok;
            }
            std::cout << "sink " << sink << ": " << state_.outbox().resume(name, sink)
                      << " message(s) waiting; trying now\n";
            return deliver(p, true) ? ok : failed;
        }
        if (action == "deliver") {
            const std::string& name = arg(2, "a pipeline name");
            if (daemon())
                throw UsageError("peoplesyncd delivers the outbox of this state database; see peoplesync outbox");
            return deliver(pipeline(name), true) ? ok : failed;
        }
        if (!action.empty()) settings_.pipeline(action);
        json out = core::outbox_json(state_.outbox(), action, core::running_daemon(settings_).has_value());
        if (args_.flag("--json"))
            std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
        else
            core::print_outbox(std::cout, out);
        return ok;
    }

    int simulate() {
        if (args_.flag("--request")) {
            auto id = number(args_.option("--request"), "--request");
            if (auto* d = daemon())
                return report_json(d->post("/admin/v1/requests/" + std::to_string(id) + "/simulate"));
            core::RequestLog log(settings_.state_database);
            auto request = log.get(id);
            if (!request) throw peoplesync::Error("there is no request " + std::to_string(id));
            auto& p = pipeline(request->pipeline);
            if (request->run_id != 0) return report(p.simulate(request->run_id, progress_));
            return report(p.simulate_snapshot(core::pushed_snapshot(*request, log.body(id)), progress_));
        }
        auto id = number(arg(1, "a run id"), "RUN");
        if (auto* d = daemon()) return report_json(d->post("/admin/v1/runs/" + std::to_string(id) + "/simulate"));
        return report(pipeline_of_run(id).simulate(id, progress_));
    }

    int approve() {
        auto id = number(arg(1, "a run id"), "RUN");
        if (auto* d = daemon())
            return report_json(d->post("/admin/v1/runs/" + std::to_string(id) + "/approve", request_body()));
        auto& p = pipeline_of_run(id);
        auto held = lock(p.settings().name);
        return report(p.approve(id, progress_));
    }

    int enable(bool on) {
        if (auto* d = daemon()) {
            const std::string& name = arg(1, "a pipeline name");
            json out = d->post("/admin/v1/pipelines/" + name + (on ? "/enable" : "/disable"));
            if (on)
                std::cout << "pipeline " << name << " is live (fingerprint "
                          << out.value("fingerprint", "").substr(0, 12) << "); its runs now apply changes\n";
            else
                std::cout << "pipeline " << name << " is in test mode; its runs only simulate\n";
            return ok;
        }
        auto& p = pipeline(arg(1, "a pipeline name"));
        if (on) {
            p.enable();
            std::cout << "pipeline " << p.settings().name << " is live (fingerprint "
                      << p.settings().fingerprint.substr(0, 12) << "); its runs now apply changes\n";
        } else {
            p.disable();
            std::cout << "pipeline " << p.settings().name << " is in test mode; its runs only simulate\n";
        }
        return ok;
    }

    // Runs shown "running" whose pipeline nobody holds were left by a
    // process that died: settled first, so the listing says what became of
    // them. Returns whether any was.
    bool settle_dead_runs(const std::vector<core::RunRecord>& records) {
        std::set<std::string> pipelines;
        for (const auto& r : records)
            if (r.status == "running") pipelines.insert(r.pipeline);
        bool settled = false;
        for (const auto& name : pipelines) {
            try {
                auto held = locks_.try_lock(name);
                if (!held) continue;  // running now
                const bool configured = std::any_of(settings_.pipelines.begin(), settings_.pipelines.end(),
                                                    [&name](const auto& p) { return p.name == name; });
                if (configured)
                    pipeline(name).settle_unfinished_runs();
                else
                    state_.mark_interrupted_runs(name);
                settled = true;
            } catch (const std::exception& e) {
                std::cerr << "peoplesync: runs of pipeline " << name
                          << " left running by a process that stopped are not settled: " << e.what() << "\n";
            }
        }
        return settled;
    }

    int runs() {
        std::string name = args_.positional.size() > 1 ? args_.positional[1] : "";
        if (!name.empty()) settings_.pipeline(name);
        auto limit = args_.flag("--limit") ? number(args_.option("--limit"), "--limit") : 20;
        auto records = state_.runs(name, limit);
        if (settle_dead_runs(records)) records = state_.runs(name, limit);
        if (args_.flag("--json")) {
            json out = json::array();
            for (const auto& r : records) out.push_back(core::run_summary_json(r));
            std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
            return ok;
        }
        std::cout << std::left << std::setw(6) << "RUN" << std::setw(16) << "PIPELINE" << std::setw(21)
                  << "STARTED (UTC)" << std::setw(6) << "MODE" << std::setw(12) << "STATUS" << std::setw(8) << "USERS"
                  << "CHANGES\n";
        for (const auto& r : records) {
            std::string changes;
            json counts = r.result.empty() ? json::object() : json::parse(r.result).value("changes", json::object());
            for (const auto& [k, v] : counts.items())
                if (v.get<std::int64_t>() > 0)
                    changes += (changes.empty() ? "" : ", ") + k + " " + std::to_string(v.get<std::int64_t>());
            std::string status = r.approved_by_run ? "approved" : r.status;  // a blocked run someone approved
            std::string started = r.started_at.substr(0, 19);                // 2026-11-28T13:04:11
            if (started.size() > 10) started[10] = ' ';
            std::cout << std::left << std::setw(6) << r.id << std::setw(16) << r.pipeline << std::setw(21) << started
                      << std::setw(6) << r.mode << std::setw(12) << status << std::setw(8) << r.users
                      << (changes.empty() ? "-" : changes) << "\n";
        }
        return ok;
    }

    int show() {
        auto id = number(arg(1, "a run id"), "RUN");
        auto record = state_.run(id);
        if (!record) throw peoplesync::Error("there is no run " + std::to_string(id));
        if (settle_dead_runs({*record})) record = state_.run(id);
        json result = core::run_detail_json(*record);
        if (args_.flag("--json")) {
            std::cout << result.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
        } else {
            std::cout << "trigger " << record->trigger << ", started " << record->started_at << ", finished "
                      << record->finished_at << "\n";
            if (record->approved_by_run) std::cout << "approved: applied by run " << record->approved_by_run << "\n";
            core::print_report(std::cout, result, true);
        }
        return ok;
    }

    // `webhook-credentials PIPELINE` is `command PIPELINE source credentials URL`.
    int plugin_command(const std::string& command) {
        const std::string& name = arg(1, "a pipeline name");
        std::string plugin = "source", action = "credentials";
        std::vector<std::string> arguments;
        if (command == "command") {
            plugin = arg(2, "source or a sink's name");
            action = arg(3, "a command name");
            arguments.assign(args_.positional.begin() + 4, args_.positional.end());
        }
        if (auto* d = daemon()) {
            if (command != "command") arguments = {d->url()};
            json out = d->post("/admin/v1/pipelines/" + name + "/commands/" + plugin + "/" + action,
                               {{"arguments", arguments}});
            std::cout << out.value("output", "");
            return ok;
        }
        if (command != "command") {
            const auto& http = settings_.http;
            std::string host = http.host == "0.0.0.0" ? "127.0.0.1" : http.host == "::" ? "::1" : http.host;
            if (host.find(':') != std::string::npos) host = "[" + host + "]";
            if (http.port != 0)
                arguments = {std::string(http.tls.enabled() ? "https" : "http") + "://" + host + ":" +
                             std::to_string(http.port)};
        }
        auto& p = pipeline(name);
        auto held = lock(name);
        std::cout << (plugin == "source" ? p.source().command(action, arguments)
                                         : p.sink(plugin).command(action, arguments));
        return ok;
    }

    int requests() {
        std::string name = args_.positional.size() > 1 ? args_.positional[1] : "";
        if (!name.empty()) settings_.pipeline(name);
        auto limit = args_.flag("--limit") ? number(args_.option("--limit"), "--limit") : 20;
        core::RequestLog log(settings_.state_database);
        auto records = log.list(name, limit);
        if (args_.flag("--json")) {
            json out = json::array();
            for (const auto& r : records) out.push_back(core::to_json(r));
            std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
            return ok;
        }
        std::cout << std::left << std::setw(9) << "REQUEST" << std::setw(16) << "PIPELINE" << std::setw(21)
                  << "RECEIVED (UTC)" << std::setw(6) << "MODE" << std::setw(11) << "STATUS" << std::setw(7) << "USERS"
                  << std::setw(6) << "RUN"
                  << "MESSAGE\n";
        for (const auto& r : records) {
            std::string received = r.received_at.substr(0, 19);
            if (received.size() > 10) received[10] = ' ';
            std::cout << std::left << std::setw(9) << r.id << std::setw(16) << r.pipeline << std::setw(21) << received
                      << std::setw(6) << r.mode << std::setw(11) << r.status << std::setw(7) << r.users << std::setw(6)
                      << (r.run_id ? std::to_string(r.run_id) : "-") << r.message << "\n";
        }
        return ok;
    }

    int request() {
        auto id = number(arg(1, "a request id"), "ID");
        core::RequestLog log(settings_.state_database);
        auto r = log.get(id);
        if (!r) throw peoplesync::Error("there is no request " + std::to_string(id));
        auto run = r->run_id ? state_.run(r->run_id) : std::nullopt;
        json out = core::to_json(*r);
        if (run && !run->result.empty()) out["run_report"] = json::parse(run->result);
        if (args_.flag("--json")) {
            std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
            return ok;
        }
        std::cout << "request " << r->id << " of pipeline " << r->pipeline << ": " << r->status << " (" << r->mode
                  << " mode)\n  received " << r->received_at << " from " << r->remote_address << ", "
                  << (r->content_type.empty() ? "no content type" : r->content_type) << ", " << r->size << " bytes, "
                  << r->users << " users\n";
        if (!r->message.empty()) std::cout << "  " << r->message << "\n";
        if (out.contains("run_report")) {
            core::print_report(std::cout, out["run_report"], true);
        } else {
            for (const auto& f : r->findings)
                std::cout << "    " << f.value("severity", "") << ": " << f.value("location", "") << ": "
                          << f.value("message", "") << "\n";
        }
        return ok;
    }

    peoplesync::Sink& directory_sink(const std::string& user) {
        std::vector<std::pair<std::string, std::string>> candidates;
        for (const auto& p : settings_.pipelines) {
            if (args_.flag("--pipeline") && p.name != args_.option("--pipeline")) continue;
            for (const auto& s : p.sinks) {
                if (args_.flag("--sink") ? s.name == args_.option("--sink") : s.type == "directory")
                    candidates.emplace_back(p.name, s.name);
            }
        }
        if (candidates.empty()) throw UsageError("no directory sink matches; name one with --pipeline and --sink");
        if (candidates.size() > 1 && !args_.flag("--pipeline") && !args_.flag("--sink")) {
            // Several directories: the one that holds the user, if only one does.
            std::vector<std::pair<std::string, std::string>> holding;
            for (const auto& [p, s] : candidates)
                if (pipeline(p).sink(s).find_user(user)) holding.emplace_back(p, s);
            if (holding.empty()) throw peoplesync::Error("no user \"" + user + "\" in any directory");
            if (holding.size() == 1) candidates = holding;
        }
        if (candidates.size() > 1) {
            std::string list;
            for (const auto& [p, s] : candidates) list += " " + p + "/" + s;
            throw UsageError("several sinks match (" + list + " ); choose one with --pipeline and --sink");
        }
        return pipeline(candidates[0].first).sink(candidates[0].second);
    }

    int directory() {
        const std::string& action = arg(1, "show or set");
        const std::string& user = arg(2, "a user (hris_id or email)");
        auto& sink = directory_sink(user);
        if (action == "set") {
            const std::string& name = arg(3, "a field");
            const std::string& value = arg(4, "a value");
            sink.edit_user(user, name, value);
            std::cout << "updated " << name << " of " << user << "\n";
            return ok;
        }
        if (action != "show") throw UsageError("directory takes show or set, not \"" + action + "\"");
        auto record = sink.find_user(user);
        if (!record) throw peoplesync::Error("no user \"" + user + "\" in the directory");
        const auto& u = record->user;
        std::string synced;
        for (const auto& f : record->synced_fields) synced += (synced.empty() ? "" : ", ") + f;
        std::cout << "id            " << record->id << "\n"
                  << "hris_id       " << u.hris_id << "\n"
                  << "name          " << u.first_name << " " << u.last_name << "\n"
                  << "email         " << u.email << "\n"
                  << "active        " << (u.active ? "yes" : "no") << "\n"
                  << "job_title     " << u.job_title << "\n"
                  << "phone_number  " << u.phone_number << "\n"
                  << "employee_id   " << u.employee_id << "\n"
                  << "hire_date     " << u.hire_date << "\n"
                  << "manager       " << u.manager_hris_id << "\n"
                  << "departments   ";
        for (std::size_t i = 0; i < u.departments.size(); ++i) std::cout << (i ? "; " : "") << u.departments[i];
        std::cout << "\nsynced        " << (synced.empty() ? "no" : "yes: " + synced + " are read-only") << "\n";
        return ok;
    }

    const Args& args_;
    core::Settings settings_;
    core::PluginHost plugins_;
    core::StateStore state_;
    core::RunLocks locks_;
    std::optional<core::AdminClient> daemon_;
    bool daemon_looked_up_ = false;
    std::map<std::string, std::unique_ptr<core::Pipeline>> pipelines_;
    TerminalProgress progress_;
};

void setup_logging(bool verbose) {
    Poco::AutoPtr<Poco::PatternFormatter> format(new Poco::PatternFormatter("%p %s: %t"));
    Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel(std::cerr));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(format, console));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(verbose ? Poco::Message::PRIO_DEBUG : Poco::Message::PRIO_WARNING);
}

// One line from stdin, without its line end; on a terminal, asked for without echo.
std::string read_secret_line(const char* prompt) {
    const bool terminal = isatty(STDIN_FILENO) != 0;
    termios saved{};
    if (terminal) {
        std::cerr << prompt << std::flush;
        tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << "\n";
    }
    if (!got) throw UsageError("console-password reads the password from stdin, and got nothing");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// `peoplesync console-password`: the hash for admin.console_password_hash.
int console_password() {
    const std::string password = read_secret_line("Console password: ");
    if (password.size() < 12) throw UsageError("the console password is too short: use at least 12 characters");
    if (isatty(STDIN_FILENO) != 0 && read_secret_line("Again: ") != password)
        throw UsageError("the two passwords differ");
    std::cout << core::hash_console_password(password) << "\n";
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    core::tune_process();
    try {
        Args args = parse(argc, argv);
        if (args.flag("--version")) {
            std::cout << core::version_text("peoplesync");
            return ok;
        }
        if (args.flag("--help") || args.positional.empty()) {
            std::cout << usage;
            return args.positional.empty() && !args.flag("--help") ? config_error : ok;
        }
        if (args.positional.front() == "console-password") return console_password();
        setup_logging(args.flag("--verbose"));
        Cli cli(args);
        return cli.dispatch();
    } catch (const UsageError& e) {
        std::cerr << "peoplesync: " << e.what() << "\n"
                  << "run peoplesync --help for usage\n";
        return config_error;
    } catch (const peoplesync::ConfigError& e) {
        std::cerr << "peoplesync: configuration error: " << e.what() << "\n";
        return config_error;
    } catch (const std::exception& e) {
        std::cerr << "peoplesync: " << e.what() << "\n";
        return failed;
    } catch (...) {
        // A plugin command may throw anything; say so rather than abort.
        std::cerr << "peoplesync: an exception that is not a std::exception\n";
        return failed;
    }
}
