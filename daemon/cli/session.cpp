#include "session.hpp"

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <utility>

#include <unistd.h>

namespace peoplesync::cli {

using nlohmann::json;

TerminalProgress::TerminalProgress() : tty_(isatty(STDERR_FILENO) != 0) {}

void TerminalProgress::stage(const std::string& name) {
    if (!tty_) return;
    stage_ = name;
    std::cerr << "\r\033[K" << name << "..." << std::flush;
    shown_ = true;
}

void TerminalProgress::progress(std::int64_t records) {
    if (!tty_) return;
    std::cerr << "\r\033[K" << stage_ << ": " << records << " records" << std::flush;
    shown_ = true;
}

void TerminalProgress::clear() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
}

std::int64_t positive_number(const std::string& text, const char* what) {
    try {
        std::size_t used = 0;
        long long n = std::stoll(text, &used);
        if (used == text.size() && n > 0) return n;
    } catch (const std::exception&) {
    }
    throw UsageError(std::string(what) + " must be a positive number, not \"" + text + "\"");
}

namespace {

std::filesystem::path config_path(const Arguments& args) {
    if (args.flag("config")) return args.value("config");
    if (const char* env = std::getenv("PEOPLESYNC_CONFIG"); env && *env) return env;
    return "etc/peoplesync.yaml";
}

int exit_for(std::optional<core::RunStatus> status) {
    if (status == core::RunStatus::rejected) return rejected;
    if (status == core::RunStatus::blocked) return blocked;
    if (status == core::RunStatus::failed || status == core::RunStatus::interrupted) return failed;
    return ok;
}

}  // namespace

Session::Session(const Arguments& args)
    : args_(args),
      settings_(core::load_settings(config_path(args))),
      plugins_(settings_.plugin_dirs),
      state_(settings_.state_database),
      locks_(settings_.state_database, "peoplesync (pid " + std::to_string(::getpid()) + ")") {
    core::note_configurations(settings_, state_);
}

core::Pipeline& Session::pipeline(const std::string& name) {
    auto it = pipelines_.find(name);
    if (it != pipelines_.end()) return *it->second;
    const auto& settings = settings_.pipeline(name);
    auto made = std::make_unique<core::Pipeline>(settings_, settings, plugins_, state_);
    return *pipelines_.emplace(name, std::move(made)).first->second;
}

core::Pipeline& Session::pipeline_of_run(std::int64_t run_id) {
    auto record = state_.run(run_id);
    if (!record) throw peoplesync::Error("there is no run " + std::to_string(run_id));
    return pipeline(record->pipeline);
}

const core::AdminClient* Session::daemon() {
    if (!daemon_looked_up_ && !args_.flag("local")) daemon_ = core::AdminClient::find(settings_);
    daemon_looked_up_ = true;
    return daemon_ ? &*daemon_ : nullptr;
}

core::PipelineLock Session::lock(const std::string& name) {
    std::string holder;
    auto held = locks_.try_lock(name, &holder);
    if (!held) throw peoplesync::Error("pipeline " + name + " is running in " + holder + "; try again when it is done");
    return std::move(*held);
}

void Session::print_json(const json& value) const {
    std::cout << value.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

std::int64_t Session::limit() const {
    return args_.flag("limit") ? positive_number(args_.value("limit"), "--limit") : 20;
}

json Session::run_request_body() const {
    return {{"dry_run", args_.flag("dry-run")},
            {"force", args_.flag("force")},
            {"full", args_.flag("full")},
            {"detail", true}};
}

int Session::report(const core::RunReport& report) {
    return this->report(core::report_json(report, args_.flag("detail")));
}

int Session::report(json out) {
    if (!args_.flag("detail"))
        for (auto& sink : out["sinks"]) sink.erase("detail");
    progress_.clear();
    if (json_output())
        print_json(out);
    else
        core::print_report(std::cout, out, args_.flag("detail"));
    return exit_for(core::parse_run_status(out.value("status", "")));
}

}  // namespace peoplesync::cli
