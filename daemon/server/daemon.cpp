#include "daemon.hpp"

#include <cstdlib>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Process.h>

#include "admin_client.hpp"
#include "error_text.hpp"
#include "tls_files.hpp"
#include "version.hpp"

namespace peoplesync::server {

using nlohmann::json;

namespace {

// Held by the daemon for as long as it runs. Not a pipeline's name: those begin with a letter or a digit.
constexpr const char* daemon_lock_name = "_peoplesyncd";

std::chrono::milliseconds test_processing_delay() {
    const char* text = std::getenv("PEOPLESYNC_TEST_PROCESSING_DELAY_MS");
    if (text == nullptr || *text == '\0') return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(std::strtoll(text, nullptr, 10));
}

// "/hriswebhook/sync/e4a777a9021349fc9d061bd60fe1ec20/" -> "/hriswebhook/sync/e4a7…": an endpoint token is
// a credential of sorts, so the log keeps only enough of it to tell endpoints apart.
std::string redact(const std::string& path, const std::string& prefix) {
    std::string rest = path.substr(prefix.size());
    if (rest.size() <= 4) return path;
    return prefix + rest.substr(0, 4) + "…";
}

bool is_admin_path(const std::string& path) {
    return path == "/admin" || path.rfind("/admin/", 0) == 0;
}

}  // namespace

Daemon::Daemon(core::Settings settings)
    : config_file_(settings.file),
      settings_(std::move(settings)),
      started_at_(core::now_iso8601()),
      log_(Poco::Logger::get("peoplesyncd")),
      state_(settings_.state_database),
      requests_(settings_.state_database),
      locks_(settings_.state_database, "peoplesyncd (pid " + std::to_string(Poco::Process::id()) + ")"),
      services_{state_, requests_, locks_, metrics_, test_processing_delay()},
      access_(metrics_),
      admin_(*this),
      console_(access_) {
    if (settings_.admin.token.empty()) generated_token_ = random_hex(24);
    access_.configure(settings_.admin, admin_token(), settings_.http.tls.enabled());
    if (services_.processing_delay.count() > 0)
        log_.warning("PEOPLESYNC_TEST_PROCESSING_DELAY_MS: pushed requests wait " +
                     std::to_string(services_.processing_delay.count()) + " ms before their run (for tests only)");
}

Daemon::~Daemon() {
    stop();
}

std::shared_ptr<Runtime> Daemon::runtime() const {
    std::lock_guard lock(mutex_);
    return runtime_;
}

std::string Daemon::admin_token() const {
    std::lock_guard lock(mutex_);
    return settings_.admin.token.empty() ? generated_token_ : settings_.admin.token;
}

json Daemon::info() const {
    std::lock_guard lock(mutex_);
    json out = {{"service", "peoplesyncd"},
                {"version", core::version()},
                {"pid", Poco::Process::id()},
                {"config", settings_.file.string()},
                {"state_database", settings_.state_database.string()},
                {"started_at", started_at_},
                {"url", server_ ? server_->local_url() : ""}};
    if (!reloaded_at_.empty()) out["reloaded_at"] = reloaded_at_;
    return out;
}

void Daemon::recall_last_successes(Runtime& runtime) {
    for (const auto& name : runtime.names()) {
        for (const auto& run : state_.runs(name, 50)) {
            const auto status = core::parse_run_status(run.status);
            if (status != core::RunStatus::applied && status != core::RunStatus::noop &&
                status != core::RunStatus::simulated)
                continue;
            Poco::DateTime when;
            int zone = 0;
            if (Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, run.finished_at, when, zone))
                metrics_.last_success(name, when.timestamp().epochTime());
            break;
        }
    }
}

void Daemon::write_runtime_file() {
    core::DaemonInfo info;
    info.pid = Poco::Process::id();
    info.url = server_->local_url();
    info.config = config_file_.string();
    info.started_at = started_at_;
    info.certificate_sha256 = certificate_sha256_;
    {
        std::lock_guard lock(mutex_);
        if (settings_.admin.token.empty()) info.token = generated_token_;
    }
    core::write_daemon_info(core::daemon_info_file(settings_.state_database), info);
}

void Daemon::keep_request_bodies() {
    services_.requests.set_body_retention({settings_.requests.keep_bodies, settings_.requests.keep_bodies_days});
    try {
        if (const auto removed = services_.requests.remove_old_bodies(); removed > 0)
            log_.information("requests: removed " + std::to_string(removed) +
                             " bodies of finished requests past requests.keep_bodies or keep_bodies_days");
    } catch (const std::exception& e) {
        log_.warning("requests: the bodies past requests.keep_bodies or keep_bodies_days were not removed: " +
                     core::error_text(e));
    }
}

void Daemon::start() {
    // Unreadable or mismatched files are a configuration error, said with
    // their place before anything starts.
    if (settings_.http.tls.enabled()) certificate_sha256_ = core::check_tls_files(settings_.http.tls);
    // Two daemons on one state database would each run the pipelines and answer for the other.
    std::string holder;
    only_daemon_ = locks_.try_lock(daemon_lock_name, &holder);
    if (!only_daemon_)
        throw Error("another daemon, " + holder + ", serves the state database " + settings_.state_database.string());
    // A daemon that cannot have its port starts no pipeline.
    server_ = std::make_unique<HttpServer>(settings_.http, *this, metrics_);
    server_->listen();
    auto runtime = std::make_shared<Runtime>(services_, settings_);
    // A destination no run could write stops the start: said once, now, not by every run.
    runtime->open_sinks();
    // Runs a dead process left "running"; not those another process (a CLI) is doing now.
    for (const auto& name : runtime->names()) {
        try {
            if (auto held = locks_.try_lock(name)) runtime->find(name)->pipeline->settle_unfinished_runs();
        } catch (const std::exception& e) {
            log_.warning("pipeline " + name +
                         ": runs left running by a process that stopped are not settled: " + e.what());
        }
    }
    core::note_configurations(settings_, state_);
    runtime->recover();
    keep_request_bodies();
    recall_last_successes(*runtime);
    runtime->start();
    {
        std::lock_guard lock(mutex_);
        runtime_ = runtime;
    }
    server_->start();
    write_runtime_file();
    started_ = true;
    std::string names;
    for (const auto& name : runtime->names()) names += (names.empty() ? "" : ", ") + name;
    log_.information("peoplesyncd " + std::string(core::version()) + " (pid " + std::to_string(Poco::Process::id()) +
                     ") serves " + server_->local_url() + " with " + config_file_.string() + "; pipelines: " + names);
}

std::string Daemon::reload() {
    std::lock_guard reloading(reload_mutex_);
    if (stopping_) return "the daemon is stopping";
    log_.information("reloading " + config_file_.string());
    try {
        core::Settings fresh_settings = core::load_settings(config_file_);
        if (fresh_settings.state_database != settings_.state_database)
            throw ConfigError(config_file_.string() + ": state_database changed (to " +
                              fresh_settings.state_database.string() + "); a new state database needs a restart");
        const auto& old_http = settings_.http;
        const auto& new_http = fresh_settings.http;
        if (new_http.listen != old_http.listen || new_http.threads != old_http.threads ||
            new_http.control_threads != old_http.control_threads || new_http.queue != old_http.queue ||
            new_http.max_connections != old_http.max_connections ||
            new_http.keepalive_timeout_secs != old_http.keepalive_timeout_secs ||
            new_http.request_timeout_secs != old_http.request_timeout_secs ||
            new_http.max_body_bytes != old_http.max_body_bytes ||
            new_http.tls.certificate_file != old_http.tls.certificate_file ||
            new_http.tls.private_key_file != old_http.tls.private_key_file)
            log_.warning("http: the server's settings changed; they take effect when the daemon restarts");
        auto fresh = std::make_shared<Runtime>(services_, fresh_settings);
        fresh->open_sinks();
        core::note_configurations(fresh_settings, state_);
        // The log keeps its settings until a restart: Poco's loggers read
        // their channel and level without a lock, so neither may change
        // while other threads log (ThreadSanitizer saw it on a reload).
        if (!(fresh_settings.log == settings_.log))
            log_.warning("log: its settings changed; they take effect when the daemon restarts");
        fresh->start();
        std::shared_ptr<Runtime> old;
        {
            std::lock_guard lock(mutex_);
            old = runtime_;
            runtime_ = fresh;
            const auto http = settings_.http;  // the server keeps the settings it started with
            const auto log = settings_.log;    // and so does the log
            settings_ = std::move(fresh_settings);
            settings_.http = http;
            settings_.log = log;
            if (settings_.admin.token.empty() && generated_token_.empty()) generated_token_ = random_hex(24);
            reloaded_at_ = core::now_iso8601();
        }
        keep_request_bodies();
        // The server keeps its TLS settings until a restart, and so its cookies.
        access_.configure(settings_.admin, admin_token(), settings_.http.tls.enabled());
        // The old pipelines finish what they run now; requests they validated wait in the log for the new ones.
        old->stop(false);
        std::erase_if(retired_, [](const std::shared_ptr<Runtime>& r) { return r->finished(); });
        retired_.push_back(old);
        write_runtime_file();
        std::string names;
        for (const auto& name : fresh->names()) names += (names.empty() ? "" : ", ") + name;
        log_.information("configuration reloaded; pipelines: " + names);
        return {};
    } catch (const std::exception& e) {
        log_.error(std::string("configuration not reloaded, the running one stays: ") + e.what());
        return e.what();
    }
}

void Daemon::stop() {
    if (stopping_.exchange(true)) return;
    std::lock_guard reloading(reload_mutex_);  // a reload under way finishes first
    if (!started_ && !runtime_) return;
    log_.information("stopping: no new connections; runs in progress finish applying or stop before they apply");
    if (server_) server_->stop_accepting();
    std::shared_ptr<Runtime> runtime;
    std::vector<std::shared_ptr<Runtime>> retired;
    {
        std::lock_guard lock(mutex_);
        runtime = runtime_;
        retired = retired_;
    }
    if (runtime) runtime->stop(true);
    for (auto& r : retired) r->stop(true);
    if (runtime) runtime->join();
    for (auto& r : retired) r->join();
    if (server_) server_->stop();
    {
        std::lock_guard lock(mutex_);
        runtime_.reset();
        retired_.clear();
    }
    runtime.reset();
    retired.clear();
    std::error_code ec;
    if (started_) std::filesystem::remove(core::daemon_info_file(settings_.state_database), ec);
    log_.information("stopped");
}

std::string Daemon::loggable(const std::string& path) {
    if (auto runtime = this->runtime())
        for (const auto& route : runtime->routes())
            if (path.compare(0, route.prefix.size(), route.prefix) == 0) return redact(path, route.prefix);
    return path;
}

RouteClass Daemon::route_class(const std::string& path) {
    if (path == "/health" || path == "/metrics") return RouteClass::probe;
    // The console is an operator's tool like the admin API.
    if (is_admin_path(path) || is_console_path(path)) return RouteClass::admin;
    return RouteClass::webhook;
}

std::string Daemon::respond(const HttpRequest& request, HttpResponse& response) {
    const std::string& path = request.path;
    if (path == "/health") {
        if (request.method != "GET" && request.method != "HEAD") {
            response.headers.emplace_back("Allow", "GET");
            error_answer(response, 405, "/health takes GET");
            return "health";
        }
        json body = {{"status", stopping() ? "stopping" : "ok"},
                     {"service", "peoplesyncd"},
                     {"version", core::version()},
                     {"pid", Poco::Process::id()}};
        json_answer(response, stopping() ? 503 : 200, body.dump());
        return "health";
    }
    if (path == "/metrics") {
        if (request.method != "GET" && request.method != "HEAD") {
            response.headers.emplace_back("Allow", "GET");
            error_answer(response, 405, "/metrics takes GET");
            return "metrics";
        }
        response.status = 200;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body =
            metrics_.render(server_ ? server_->gauges() : ServerGauges{}, services_.state.outbox().sinks(""));
        return "metrics";
    }
    if (is_admin_path(path)) {
        add_security_headers(response, true);
        admin_.handle(request, response);
        return "admin";
    }
    if (is_console_path(path)) {
        console_.handle(request, response);
        return "console";
    }
    auto runtime = this->runtime();  // kept alive while a handler of it runs
    if (runtime) {
        for (const auto& route : runtime->routes()) {
            if (path.compare(0, route.prefix.size(), route.prefix) != 0) continue;
            try {
                if (route.handler->handle(request, response)) return "webhook";
            } catch (const std::exception& e) {
                log_.error("pipeline " + route.pipeline + ": its source failed on a request: " + e.what());
                response = HttpResponse{};
                error_answer(response, 500, "the request could not be handled; see the daemon's log");
                return "webhook";
            }
        }
    }
    error_answer(response, 404, "no such endpoint");
    return "other";
}

}  // namespace peoplesync::server
