// runs, show, requests, request: what the state database logged.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "request_log.hpp"
#include "session.hpp"

namespace peoplesync::cli {

using nlohmann::json;

namespace {

// Runs shown "running" whose pipeline nobody holds were left by a process
// that died: settled first, so the listing says what became of them.
// Returns whether any was.
bool settle_dead_runs(Session& session, const std::vector<core::RunRecord>& records) {
    std::set<std::string> pipelines;
    for (const auto& r : records)
        if (core::parse_run_status(r.status) == core::RunStatus::running) pipelines.insert(r.pipeline);
    bool settled = false;
    const auto& configured_pipelines = session.settings().pipelines;
    for (const auto& name : pipelines) {
        try {
            auto held = session.locks().try_lock(name);
            if (!held) continue;  // running now
            const bool configured = std::any_of(configured_pipelines.begin(), configured_pipelines.end(),
                                                [&name](const auto& p) { return p.name == name; });
            if (configured)
                session.pipeline(name).settle_unfinished_runs();
            else
                session.state().mark_interrupted_runs(name);
            settled = true;
        } catch (const std::exception& e) {
            std::cerr << "peoplesync: runs of pipeline " << name
                      << " left running by a process that stopped are not settled: " << e.what() << "\n";
        }
    }
    return settled;
}

// The optional PIPELINE operand, checked against the configuration.
std::string pipeline_filter(Session& session) {
    std::string name = session.args().operand_or(0);
    if (!name.empty()) session.settings().pipeline(name);
    return name;
}

// 2026-11-28T13:04:11... as 2026-11-28 13:04:11.
std::string shown_time(const std::string& iso) {
    std::string shown = iso.substr(0, 19);
    if (shown.size() > 10) shown[10] = ' ';
    return shown;
}

}  // namespace

int runs(Session& session) {
    const std::string name = pipeline_filter(session);
    const auto limit = session.limit();
    auto records = session.state().runs(name, limit);
    if (settle_dead_runs(session, records)) records = session.state().runs(name, limit);
    if (session.json_output()) {
        json out = json::array();
        for (const auto& r : records) out.push_back(core::run_summary_json(r));
        session.print_json(out);
        return ok;
    }
    std::cout << std::left << std::setw(6) << "RUN" << std::setw(16) << "PIPELINE" << std::setw(21) << "STARTED (UTC)"
              << std::setw(6) << "MODE" << std::setw(12) << "STATUS" << std::setw(8) << "USERS"
              << "CHANGES\n";
    for (const auto& r : records) {
        std::string changes;
        json counts = r.result.empty() ? json::object() : json::parse(r.result).value("changes", json::object());
        for (const auto& [k, v] : counts.items())
            if (v.get<std::int64_t>() > 0)
                changes += (changes.empty() ? "" : ", ") + k + " " + std::to_string(v.get<std::int64_t>());
        std::string status = r.approved_by_run ? "approved" : r.status;  // a blocked run someone approved
        std::cout << std::left << std::setw(6) << r.id << std::setw(16) << r.pipeline << std::setw(21)
                  << shown_time(r.started_at) << std::setw(6) << r.mode << std::setw(12) << status << std::setw(8)
                  << r.users << (changes.empty() ? "-" : changes) << "\n";
    }
    return ok;
}

int show(Session& session) {
    auto id = positive_number(session.args().operand(0, "a run id"), "RUN");
    auto record = session.state().run(id);
    if (!record) throw peoplesync::Error("there is no run " + std::to_string(id));
    if (settle_dead_runs(session, {*record})) record = session.state().run(id);
    json result = core::run_detail_json(*record);
    if (session.json_output()) {
        session.print_json(result);
    } else {
        std::cout << "trigger " << record->trigger << ", started " << record->started_at << ", finished "
                  << record->finished_at << "\n";
        if (record->approved_by_run) std::cout << "approved: applied by run " << record->approved_by_run << "\n";
        core::print_report(std::cout, result, true);
    }
    return ok;
}

int requests(Session& session) {
    const std::string name = pipeline_filter(session);
    core::RequestLog log(session.settings().state_database);
    auto records = log.list(name, session.limit());
    if (session.json_output()) {
        json out = json::array();
        for (const auto& r : records) out.push_back(core::to_json(r));
        session.print_json(out);
        return ok;
    }
    std::cout << std::left << std::setw(9) << "REQUEST" << std::setw(16) << "PIPELINE" << std::setw(21)
              << "RECEIVED (UTC)" << std::setw(6) << "MODE" << std::setw(11) << "STATUS" << std::setw(7) << "USERS"
              << std::setw(6) << "RUN"
              << "MESSAGE\n";
    for (const auto& r : records) {
        std::cout << std::left << std::setw(9) << r.id << std::setw(16) << r.pipeline << std::setw(21)
                  << shown_time(r.received_at) << std::setw(6) << r.mode << std::setw(11) << r.status << std::setw(7)
                  << r.users << std::setw(6) << (r.run_id ? std::to_string(r.run_id) : "-") << r.message << "\n";
    }
    return ok;
}

int request(Session& session) {
    auto id = positive_number(session.args().operand(0, "a request id"), "ID");
    core::RequestLog log(session.settings().state_database);
    auto r = log.get(id);
    if (!r) throw peoplesync::Error("there is no request " + std::to_string(id));
    auto run = r->run_id ? session.state().run(r->run_id) : std::nullopt;
    json out = core::to_json(*r);
    if (run && !run->result.empty()) out["run_report"] = json::parse(run->result);
    if (session.json_output()) {
        session.print_json(out);
        return ok;
    }
    std::cout << "request " << r->id << " of pipeline " << r->pipeline << ": " << r->status << " (" << r->mode
              << " mode)\n  received " << r->received_at << " from " << r->remote_address << ", "
              << (r->content_type.empty() ? "no content type" : r->content_type) << ", " << r->size << " bytes, "
              << r->users << " users\n";
    if (!r->message.empty()) std::cout << "  " << r->message << "\n";
    if (!r->body_removed_at.empty())
        std::cout << "  its body was removed " << r->body_removed_at << " (requests.keep_bodies)\n";
    if (out.contains("run_report")) {
        core::print_report(std::cout, out["run_report"], true);
    } else {
        for (const auto& f : r->findings)
            std::cout << "    " << f.value("severity", "") << ": " << f.value("location", "") << ": "
                      << f.value("message", "") << "\n";
    }
    return ok;
}

}  // namespace peoplesync::cli
