// What the commands that need the configuration share: the configuration,
// plugins, state database and run locks loaded once, the pipelines built on
// demand, the daemon found (or not), and the output conventions (--json or
// text, --limit, run reports and their exit statuses).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "admin_client.hpp"
#include "arguments.hpp"
#include "pipeline.hpp"
#include "plugin_host.hpp"
#include "report.hpp"
#include "run_lock.hpp"
#include "settings.hpp"
#include "state_store.hpp"

namespace peoplesync::cli {

// Shows what a long run is doing, on a terminal only.
class TerminalProgress final : public core::ProgressListener {
public:
    TerminalProgress();
    ~TerminalProgress() override { clear(); }
    void stage(const std::string& name) override;
    void progress(std::int64_t records) override;
    void clear();

private:
    bool tty_;
    bool shown_ = false;
    std::string stage_;
};

// A positive number from the command line, or a usage error naming `what`.
std::int64_t positive_number(const std::string& text, const char* what);

class Session {
public:
    explicit Session(const Arguments& args);

    const Arguments& args() const { return args_; }
    core::Settings& settings() { return settings_; }
    core::PluginHost& plugins() { return plugins_; }
    core::StateStore& state() { return state_; }
    core::RunLocks& locks() { return locks_; }
    TerminalProgress& progress() { return progress_; }

    core::Pipeline& pipeline(const std::string& name);
    core::Pipeline& pipeline_of_run(std::int64_t run_id);
    // The daemon serving this state database, unless --local or none runs.
    const core::AdminClient* daemon();
    // Holds the pipeline's run lock for a run here; refuses when another process runs it.
    core::PipelineLock lock(const std::string& name);

    bool json_output() const { return args_.flag("json"); }
    void print_json(const nlohmann::json& value) const;
    std::int64_t limit() const;  // --limit, else 20

    // The admin API's body for a run or an approval, from the options.
    nlohmann::json run_request_body() const;
    // Prints a run report, from this process or from the daemon; its exit status.
    int report(const core::RunReport& report);
    int report(nlohmann::json report);

private:
    const Arguments& args_;
    core::Settings settings_;
    core::PluginHost plugins_;
    core::StateStore state_;
    core::RunLocks locks_;
    std::optional<core::AdminClient> daemon_;
    bool daemon_looked_up_ = false;
    std::map<std::string, std::unique_ptr<core::Pipeline>> pipelines_;
    TerminalProgress progress_;
};

// The commands, by group; arguments.cpp's table names them.
int validate(Session& session);
int plugins(Session& session);
int status(Session& session);
int run(Session& session);
int simulate(Session& session);
int enable(Session& session);
int disable(Session& session);
int approve(Session& session);

int runs(Session& session);
int show(Session& session);
int requests(Session& session);
int request(Session& session);

int outbox(Session& session);
// Without peoplesyncd nobody else delivers what a run queued: tries it now,
// once. Returns whether every waiting message went.
bool deliver(Session& session, core::Pipeline& pipeline, bool verbose);

int directory(Session& session);

int plugin_command(Session& session);
int webhook_credentials(Session& session);

int console_password(const Arguments& args);

}  // namespace peoplesync::cli
