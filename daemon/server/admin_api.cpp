#include "admin_api.hpp"

#include <algorithm>
#include <future>
#include <map>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "admin_errors.hpp"
#include "daemon.hpp"
#include "directory_api.hpp"
#include "report.hpp"

namespace peoplesync::server {

using nlohmann::json;

namespace {

constexpr const char* prefix = "/admin/v1";

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < path.size()) {
        auto next = path.find('/', at);
        if (next == std::string::npos) next = path.size();
        if (next > at) out.push_back(path.substr(at, next - at));
        at = next + 1;
    }
    return out;
}

// A query's text as a form writes it: '+' for a space (browsers' URLSearchParams
// do), %XX for a byte. Poco's decode() reads '+' as a space only after a '?'.
std::string query_text(std::string encoded) {
    std::replace(encoded.begin(), encoded.end(), '+', ' ');
    std::string decoded;
    try {
        Poco::URI::decode(encoded, decoded);
    } catch (const Poco::SyntaxException&) {
        throw ApiError{400,
                       "the query is not URL-encoded: \"" + encoded + "\" (a % must be followed by two hex digits)"};
    }
    return decoded;
}

std::map<std::string, std::string> parse_query(const std::string& query) {
    std::map<std::string, std::string> out;
    std::size_t at = 0;
    while (at <= query.size() && !query.empty()) {
        auto next = query.find('&', at);
        if (next == std::string::npos) next = query.size();
        std::string pair = query.substr(at, next - at);
        auto eq = pair.find('=');
        std::string key = query_text(pair.substr(0, eq));
        std::string value = eq == std::string::npos ? "" : query_text(pair.substr(eq + 1));
        if (!key.empty()) out[key] = value;
        at = next + 1;
    }
    return out;
}

class Call {
public:
    Call(Daemon& daemon, const HttpRequest& request) : daemon_(daemon), request_(request), runtime_(daemon.runtime()) {
        if (!runtime_) throw ApiError{503, "the daemon is starting or stopping"};
        segments_ = split_path(request.path.substr(std::string(prefix).size()));
        query_ = parse_query(request.query);
        if (!request.body.empty()) {
            body_ = json::parse(request.body, nullptr, false);
            if (!body_.is_object()) throw ApiError{400, "the request body must be a JSON object"};
        } else {
            body_ = json::object();
        }
    }

    json dispatch() {
        const auto& s = segments_;
        const std::size_t n = s.size();
        auto is = [&](std::size_t at, const char* word) { return n > at && s[at] == word; };
        if (n == 1 && is(0, "daemon")) return get([&] { return daemon_.info(); });
        if (n == 1 && is(0, "reload")) return post([&] { return reload(); });
        if (is(0, "pipelines")) {
            if (n == 1) return get([&] { return pipelines(); });
            Runtime::Entry& entry = pipeline(s[1]);
            if (n == 2) return get([&] { return pipeline_json(s[1], entry); });
            if (n == 3 && (is(2, "enable") || is(2, "disable"))) return post([&] { return enable(entry, s[2]); });
            if (n == 3 && is(2, "run")) return post([&] { return run_now(entry); });
            if (n == 5 && is(2, "commands")) return post([&] { return command(entry, s[3], s[4]); });
            if (n == 6 && is(2, "sinks") && is(4, "outbox") && (is(5, "retry") || is(5, "drop")))
                return post([&] { return outbox_action(entry, s[3], s[5]); });
        }
        if (n == 1 && is(0, "outbox")) return get([&] { return outbox(); });
        if (is(0, "runs")) {
            if (n == 1) return get([&] { return runs(); });
            const std::int64_t id = positive(s[1], "a run id");
            if (n == 2) return get([&] { return core::run_detail_json(run_record(id)); });
            if (n == 3 && is(2, "simulate")) return post([&] { return simulate_run(id); });
            if (n == 3 && is(2, "approve")) return post([&] { return approve(id); });
        }
        if (is(0, "directories")) return directory_endpoint(*runtime_, request_.method, s, query_, body_);
        if (is(0, "requests")) {
            if (n == 1) return get([&] { return requests(); });
            const std::int64_t id = positive(s[1], "a request id");
            if (n == 2) return get([&] { return request_detail(id); });
            if (n == 3 && is(2, "simulate")) return post([&] { return simulate_request(id); });
        }
        throw ApiError{404, "no such admin endpoint: " + request_.method + " " + request_.path};
    }

private:
    // An endpoint that takes GET (or POST): the method is checked before it acts.
    template <typename Act>
    json get(Act act) const {
        only("GET");
        return act();
    }
    template <typename Act>
    json post(Act act) const {
        only("POST");
        return act();
    }
    void only(const char* method) const {
        if (request_.method != method)
            throw ApiError{405, request_.path + " takes " + method + ", not " + request_.method, method};
    }

    json reload() {
        std::string error = daemon_.reload();
        if (!error.empty()) throw ApiError{400, "configuration not reloaded, the running one stays: " + error};
        return {{"reloaded", true}, {"pipelines", daemon_.runtime()->names()}};
    }

    Runtime::Entry& pipeline(const std::string& name) {
        Runtime::Entry* entry = runtime_->find(name);
        if (entry == nullptr) throw ApiError{404, "there is no pipeline \"" + name + "\""};
        return *entry;
    }

    bool detail() const { return body_.value("detail", true); }

    // Waits for a job on the pipeline's worker.
    static json wait(std::future<json> result) {
        try {
            return result.get();
        } catch (const std::future_error&) {
            throw ApiError{503, "the daemon is stopping or reloading; try again"};
        }
    }

    json pipeline_json(const std::string& name, Runtime::Entry& entry) {
        core::Pipeline& p = *entry.pipeline;
        const auto& settings = p.settings();
        auto enabled = daemon_.services().state.enabled_fingerprint(name);
        json sinks = json::array();
        for (const auto& sink : settings.sinks) sinks.push_back({{"name", sink.name}, {"type", sink.type}});
        for (const auto& d : p.delivering_sinks()) {
            auto state = daemon_.services().state.outbox().sink(name, d.name);
            for (auto& sink : sinks)
                if (sink["name"] == d.name)
                    sink["delivery"] = {{"pending", state.pending},
                                        {"stopped", state.stopped.empty() ? json(nullptr) : json(state.stopped)},
                                        {"delivered", state.delivered}};
        }
        auto status = entry.worker->status();
        json out = {{"name", name},
                    {"source", settings.source.type},
                    {"pushes", entry.pushes},
                    {"sinks", sinks},
                    {"mode", core::to_string(p.mode())},
                    {"fingerprint", settings.fingerprint},
                    {"enabled_fingerprint", enabled ? json(*enabled) : json(nullptr)},
                    {"configuration_changed_since_enabled", enabled && *enabled != settings.fingerprint},
                    {"schedule", settings.schedule.empty() ? json(nullptr) : json(settings.schedule.text)},
                    {"sync", {{"mode", core::to_string(settings.sync.mode)}, {"fields", settings.sync.fields}}},
                    {"busy", status.busy},
                    {"doing", status.doing}};
        const auto last = daemon_.services().state.runs(name, 1);
        out["last_run"] = last.empty() ? json(nullptr) : core::run_summary_json(last.front());
        out["next_run_at"] =
            status.next_run_at
                ? json(Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(*status.next_run_at),
                                                       Poco::DateTimeFormat::ISO8601_FORMAT))
                : json(nullptr);
        return out;
    }

    json outbox() {
        auto pipeline_name = query_.count("pipeline") ? query_.at("pipeline") : "";
        if (!pipeline_name.empty()) pipeline(pipeline_name);
        return core::outbox_json(daemon_.services().state.outbox(), pipeline_name, true);
    }

    // An operator's answer to a stopped delivery: try the waiting messages
    // again now, or drop them.
    json outbox_action(Runtime::Entry& entry, const std::string& sink, const std::string& action) {
        const std::string& name = entry.pipeline->settings().name;
        if (!entry.pipeline->delivers(sink))
            throw ApiError{404,
                           "pipeline " + name + " has no sink \"" + sink + "\" that delivers to a remote receiver"};
        auto& store = daemon_.services().state.outbox();
        std::int64_t n = action == "retry" ? store.resume(name, sink) : store.drop(name, sink);
        Poco::Logger::get("peoplesyncd.delivery")
            .information("pipeline " + name + ", sink " + sink + ": an operator " +
                         (action == "retry" ? "retried " : "dropped ") + std::to_string(n) + " waiting message(s)");
        return {{"pipeline", name}, {"sink", sink}, {action == "retry" ? "waiting" : "dropped", n}};
    }

    json pipelines() {
        json out = json::array();
        for (const auto& name : runtime_->names()) out.push_back(pipeline_json(name, pipeline(name)));
        return out;
    }

    json enable(Runtime::Entry& entry, const std::string& action) {
        core::Pipeline& p = *entry.pipeline;
        if (action == "enable")
            p.enable();
        else
            p.disable();
        return {{"pipeline", p.settings().name},
                {"mode", core::to_string(p.mode())},
                {"fingerprint", p.settings().fingerprint}};
    }

    json run_now(Runtime::Entry& entry) {
        if (const std::string refused = entry.pipeline->why_not_on_demand(); !refused.empty())
            throw ApiError{409, refused};
        core::RunRequest run;
        run.trigger = body_.value("trigger", std::string("admin API"));
        run.dry_run = body_.value("dry_run", false);
        run.force = body_.value("force", false);
        run.full = body_.value("full", false);
        if (run.force) run.trigger += " --force";
        const bool with_detail = detail();
        PipelineWorker& worker = *entry.worker;
        return wait(
            worker.submit([&worker, run, with_detail] { return core::report_json(worker.run(run), with_detail); }));
    }

    json command(Runtime::Entry& entry, const std::string& plugin, const std::string& name) {
        std::vector<std::string> arguments;
        if (body_.contains("arguments")) {
            if (!body_["arguments"].is_array()) throw ApiError{400, "arguments must be a list of strings"};
            for (const auto& a : body_["arguments"]) {
                if (!a.is_string()) throw ApiError{400, "arguments must be a list of strings"};
                arguments.push_back(a.get<std::string>());
            }
        }
        core::Pipeline& p = *entry.pipeline;
        auto output = [&]() -> std::string {
            if (plugin == "source") return p.source().command(name, arguments);
            return p.sink(plugin).command(name, arguments);
        };
        json out = {{"pipeline", p.settings().name}, {"plugin", plugin}, {"command", name}};
        if (plugin == "source" && entry.pushes) {
            // A push source serves requests from many threads at once anyway; its commands need not wait for a run.
            out["output"] = output();
            return out;
        }
        out["output"] = wait(entry.worker->submit([&output] { return json(output()); }));
        return out;
    }

    json runs() {
        std::string name = query_.count("pipeline") ? query_["pipeline"] : "";
        if (!name.empty()) pipeline(name);
        const std::int64_t limit = query_.count("limit") ? positive(query_["limit"], "limit") : 20;
        const std::int64_t before = query_.count("before") ? positive(query_["before"], "before") : 0;
        json out = json::array();
        for (const auto& r : daemon_.services().state.runs(name, limit, before))
            out.push_back(core::run_summary_json(r));
        return out;
    }

    core::RunRecord run_record(std::int64_t id) {
        auto record = daemon_.services().state.run(id);
        if (!record) throw ApiError{404, "there is no run " + std::to_string(id)};
        return *record;
    }

    Runtime::Entry& pipeline_of(const std::string& name, const std::string& what) {
        Runtime::Entry* entry = runtime_->find(name);
        if (entry == nullptr)
            throw ApiError{409, what + " belongs to pipeline \"" + name + "\", which is no longer configured"};
        return *entry;
    }

    json simulate_run(std::int64_t id) {
        Runtime::Entry& entry = pipeline_of(run_record(id).pipeline, "run " + std::to_string(id));
        PipelineWorker& worker = *entry.worker;
        core::Pipeline& p = *entry.pipeline;
        return wait(
            worker.submit([&worker, &p, id] { return core::report_json(p.simulate(id, worker.progress()), true); }));
    }

    json approve(std::int64_t id) {
        core::RunRecord record = run_record(id);
        if (core::parse_run_status(record.status) != core::RunStatus::blocked)
            throw ApiError{409, "run " + std::to_string(id) + " is " + record.status + ", not blocked"};
        Runtime::Entry& entry = pipeline_of(record.pipeline, "run " + std::to_string(id));
        PipelineWorker& worker = *entry.worker;
        const bool with_detail = detail();
        return wait(
            worker.submit([&worker, id, with_detail] { return core::report_json(worker.approve(id), with_detail); }));
    }

    json requests() {
        std::string name = query_.count("pipeline") ? query_["pipeline"] : "";
        const std::int64_t limit = query_.count("limit") ? positive(query_["limit"], "limit") : 20;
        const std::int64_t before = query_.count("before") ? positive(query_["before"], "before") : 0;
        json out = json::array();
        for (const auto& r : daemon_.services().requests.list(name, limit, before)) out.push_back(core::to_json(r));
        return out;
    }

    core::PushRequest request_record(std::int64_t id) {
        auto request = daemon_.services().requests.get(id);
        if (!request) throw ApiError{404, "there is no request " + std::to_string(id)};
        return *request;
    }

    json request_detail(std::int64_t id) {
        core::PushRequest request = request_record(id);
        json out = core::to_json(request);
        if (request.run_id != 0)
            if (auto run = daemon_.services().state.run(request.run_id))
                out["run_report"] = core::run_detail_json(*run);
        return out;
    }

    json simulate_request(std::int64_t id) {
        core::PushRequest request = request_record(id);
        Runtime::Entry& entry = pipeline_of(request.pipeline, "request " + std::to_string(id));
        PipelineWorker& worker = *entry.worker;
        core::Pipeline& p = *entry.pipeline;
        core::RequestLog& log = daemon_.services().requests;
        core::StateStore& state = daemon_.services().state;
        return wait(worker.submit([&worker, &p, &log, &state, request] {
            // A request with a run replays that run's snapshot; one refused
            // before its run, or whose run's snapshot is no longer kept
            // (runs.keep_snapshots) while its body is, its logged body.
            const auto run =
                request.run_id != 0 ? state.run(request.run_id, core::StateStore::RunResult::none) : std::nullopt;
            const bool snapshot_kept = run && state.holds_snapshot(run->snapshot_key);
            if (request.run_id != 0 && (snapshot_kept || !request.body_removed_at.empty()))
                return core::report_json(p.simulate(request.run_id, worker.progress()), true);
            return core::report_json(
                p.simulate_snapshot(core::pushed_snapshot(request, log.body(request.id)), worker.progress()), true);
        }));
    }

    Daemon& daemon_;
    const HttpRequest& request_;
    std::shared_ptr<Runtime> runtime_;
    std::vector<std::string> segments_;
    std::map<std::string, std::string> query_;
    json body_;
};

}  // namespace

void AdminApi::handle(const HttpRequest& request, HttpResponse& response) {
    if (!daemon_.access().admit(request, response)) return;
    if (request.path != prefix && request.path.rfind(std::string(prefix) + "/", 0) != 0) {
        error_answer(response, 404, "the admin API lives under " + std::string(prefix) + "/");
        return;
    }
    try {
        Call call(daemon_, request);
        json result = call.dispatch();
        json_answer(response, 200, result.dump(-1, ' ', false, json::error_handler_t::replace));
    } catch (const ApiError& e) {
        if (!e.allow.empty()) response.headers.emplace_back("Allow", e.allow);
        error_answer(response, e.status, e.message);
    } catch (const core::RunCancelled& e) {
        error_answer(response, 503, e.what());
    } catch (const Error& e) {
        error_answer(response, 400, e.what());
    } catch (const std::exception& e) {
        error_answer(response, 500, e.what());
    }
}

}  // namespace peoplesync::server
