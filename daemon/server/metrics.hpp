// The daemon's counters, served at GET /metrics in Prometheus' text format.
// They count from the daemon's start, as Prometheus expects of counters.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include <peoplesync/changeset.hpp>

#include "outbox.hpp"
#include "run_status.hpp"

namespace peoplesync::server {

struct ServerGauges {
    int refused_connections = 0;
    int current_connections = 0;
    int queued_connections = 0;
    int idle_connections = 0;
};

class Metrics {
public:
    // `route`: webhook, admin, health, metrics or other.
    void http_answered(const std::string& route, int status);
    void run_finished(const std::string& pipeline, core::RunStatus status, const ChangeSummary& applied);
    // Seconds since the epoch of the pipeline's last run that went through
    // (applied, noop or simulated).
    void last_success(const std::string& pipeline, std::int64_t epoch_seconds);
    void push_request(const std::string& pipeline, const std::string& status);
    // One attempt to deliver an outbox message: delivered, retry or rejected.
    void delivery(const std::string& pipeline, const std::string& sink, const std::string& outcome);
    // A console sign-in: signed_in or refused.
    void console_sign_in(const std::string& outcome);

    std::string render(const ServerGauges& server, const std::vector<core::OutboxSink>& outbox = {}) const;

private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::int64_t> http_;
    std::map<std::pair<std::string, std::string>, std::int64_t> runs_;
    std::map<std::pair<std::string, std::string>, std::int64_t> changes_;
    std::map<std::pair<std::string, std::string>, std::int64_t> requests_;
    std::map<std::string, std::int64_t> last_success_;
    std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> deliveries_;
    std::map<std::string, std::int64_t> console_sign_ins_;
};

}  // namespace peoplesync::server
