// The daemon's one HTTP server, shared by the push sources' routes, the
// admin API, /health and /metrics.
//
// A connection holds no thread while it has not sent a whole request head:
// one poller thread accepts connections, reads what arrives without waiting
// (TLS handshakes included) and closes those whose head does not arrive
// within request_timeout_secs, or that stay idle past
// keepalive_timeout_secs. A whole head goes to a pool of worker threads:
// the daemon's own routes (/health, /metrics, the admin API) to a small
// pool of their own, in which /health and /metrics always find a thread;
// everything else (the webhooks) to `threads`. So no flood of webhook
// requests, and no number of idle or slow connections, can keep an
// operator or a load balancer out.
//
// A worker reads the body within max_body_bytes — a larger one is answered
// 413 as soon as that is known, from its Content-Length before a byte of it
// is read — hands the request to a Responder as plain values, and writes one
// log line per request, without its body or credentials. A refused
// authentication (401) or an unknown endpoint (404) closes the connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/ServerSocket.h>

#include <peoplesync/http.hpp>

#include "daemon_settings.hpp"
#include "http_connection.hpp"
#include "metrics.hpp"
#include "worker_pool.hpp"

namespace peoplesync::server {

// Which threads serve a path.
enum class RouteClass {
    webhook,  // the pipelines' routes, and any unknown path: `threads`
    admin,    // operators' calls: the control pool, never its last thread
    probe,    // /health and /metrics: the control pool, first
};

class Responder {
public:
    virtual ~Responder() = default;
    // Answers one request. Returns the kind of route that answered it:
    // "webhook", "admin", "health", "metrics" or "other".
    virtual std::string respond(const HttpRequest& request, HttpResponse& response) = 0;
    // The path as the log may show it (without credentials in it).
    virtual std::string loggable(const std::string& path) = 0;
    virtual RouteClass route_class(const std::string& path) = 0;
};

class HttpServer {
public:
    HttpServer(const core::HttpSettings& settings, Responder& responder, Metrics& metrics);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds the address (connections wait in the backlog until start());
    // throws Error when it cannot, saying "the address is in use" when
    // another program (another peoplesyncd, say) listens there.
    void listen();
    // Starts serving; listens first if listen() was not called.
    void start();
    std::uint16_t port() const;
    // "http://127.0.0.1:8080": where a client on this machine reaches it.
    std::string local_url() const;
    // No new connections; requests being served go on.
    void stop_accepting();
    // Closes every connection and waits for the server's threads.
    void stop();
    ServerGauges gauges() const;

private:
    struct Pending;
    void poll_connections();
    // False when accepting should pause (out of file descriptors, say).
    bool accept_connections(std::vector<std::shared_ptr<Connection>>& waiting);
    // Reads what arrived. True while the connection waits for the rest of
    // a head; false once its request went to a worker, or it was answered
    // or closed.
    bool advance(std::shared_ptr<Connection>& connection);
    void serve(const std::shared_ptr<Connection>& connection, Pending& request);
    // One request: its body, the Responder's answer, the log line. True to keep the connection.
    bool exchange(Connection& connection, Pending& request);
    std::string respond(const HttpRequest& request, HttpResponse& response, const std::string& logged_path);
    // Back to the poller, to wait for the next request.
    void keep(std::shared_ptr<Connection> connection);
    // A short answer from the poller, which then closes the connection.
    void refuse(Connection& connection, int status, const std::string& message);
    void wake_poller();

    core::HttpSettings settings_;
    Responder& responder_;
    Metrics& metrics_;
    Poco::Logger& log_;
    Poco::Net::Context::Ptr tls_;
    Poco::Net::ServerSocket listener_;
    bool listening_ = false;
    std::uint16_t port_ = 0;
    // The poller's wake-up call: a datagram to itself (portable, unlike a pipe in poll()).
    Poco::Net::DatagramSocket wake_;
    std::unique_ptr<WorkerPool> webhook_workers_;
    std::unique_ptr<WorkerPool> control_workers_;
    std::thread poller_;

    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<Connection>> returned_;  // from workers, for the poller
    std::set<Connection*> serving_;                      // in a worker now
    std::atomic<bool> accepting_{true};
    std::atomic<bool> listener_closed_{false};
    std::condition_variable listener_closed_signal_;
    Clock::time_point last_accept_warning_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> refused_connections_{0};
    std::atomic<int> idle_connections_{0};
    bool stopped_ = false;
};

// A JSON answer: {"error": message} for errors.
void json_answer(HttpResponse& response, int status, const std::string& json_text);
void error_answer(HttpResponse& response, int status, const std::string& message);

}  // namespace peoplesync::server
