// peoplesyncd's moving parts, apart from process matters (options, signals,
// forking; see main.cpp): the shared services, the running configuration and
// the HTTP server, and what starting, reloading and stopping do with them.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Logger.h>
#include <nlohmann/json.hpp>

#include "admin_access.hpp"
#include "admin_api.hpp"
#include "console.hpp"
#include "http_server.hpp"
#include "metrics.hpp"
#include "request_log.hpp"
#include "run_lock.hpp"
#include "runtime.hpp"
#include "services.hpp"
#include "settings.hpp"
#include "state_store.hpp"

namespace peoplesync::server {

class Daemon final : public Responder {
public:
    // Opens the state database; nothing else yet.
    explicit Daemon(core::Settings settings);
    ~Daemon() override;
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Loads the plugins, validates requests a crash left half done, starts
    // the pipelines' workers and the HTTP server. Throws when it cannot.
    void start();
    // Reads the configuration file again. A configuration that cannot be
    // used is logged and refused, and the running one goes on. Returns the
    // error, or nothing.
    std::string reload();
    // Stops accepting, cancels what runs (a run that is applying finishes:
    // each sink applies in one transaction) and waits for the threads.
    void stop();

    std::string respond(const HttpRequest& request, HttpResponse& response) override;
    std::string loggable(const std::string& path) override;
    RouteClass route_class(const std::string& path) override;

    // For the admin API.
    std::shared_ptr<Runtime> runtime() const;
    DaemonServices& services() { return services_; }
    nlohmann::json info() const;
    bool stopping() const { return stopping_.load(); }
    std::string admin_token() const;
    AdminAccess& access() { return access_; }

private:
    void write_runtime_file();
    // The configuration's requests settings to the request log, and the bodies they no longer keep removed.
    void keep_request_bodies();
    void recall_last_successes(Runtime& runtime);

    const std::filesystem::path config_file_;
    mutable std::mutex mutex_;  // runtime_, retired_, settings_, admin token
    core::Settings settings_;
    std::string generated_token_;
    std::string certificate_sha256_;  // of the certificate the HTTPS server serves
    std::string started_at_;
    std::string reloaded_at_;
    Poco::Logger& log_;

    core::StateStore state_;
    core::RequestLog requests_;
    core::RunLocks locks_;
    std::optional<core::PipelineLock> only_daemon_;  // one daemon per state database
    Metrics metrics_;
    DaemonServices services_;
    AdminAccess access_;
    AdminApi admin_;
    Console console_;

    std::mutex reload_mutex_;
    std::shared_ptr<Runtime> runtime_;
    std::vector<std::shared_ptr<Runtime>> retired_;
    std::unique_ptr<HttpServer> server_;
    std::atomic<bool> stopping_{false};
    bool started_ = false;
};

}  // namespace peoplesync::server
