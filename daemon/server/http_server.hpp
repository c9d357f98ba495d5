// The daemon's one HTTP server (Poco::Net), shared by the push sources'
// routes, the admin API, /health and /metrics. It reads each request's body
// within max_body_bytes — a larger one is answered 413 as soon as that is
// known, from its Content-Length before a byte of it is read — hands the
// request to a Responder as plain values, and writes one log line per
// request, without its body or credentials.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <Poco/Logger.h>
#include <Poco/ThreadPool.h>

#include <peoplesync/http.hpp>

#include "daemon_settings.hpp"
#include "metrics.hpp"

namespace Poco::Net {
class HTTPServer;
}

namespace peoplesync::server {

class Responder {
public:
    virtual ~Responder() = default;
    // Answers one request. Returns the kind of route that answered it:
    // "webhook", "admin", "health", "metrics" or "other".
    virtual std::string respond(const HttpRequest& request, HttpResponse& response) = 0;
    // The path as the log may show it (without credentials in it).
    virtual std::string loggable(const std::string& path) = 0;
};

class HttpServer {
public:
    HttpServer(const core::HttpSettings& settings, Responder& responder, Metrics& metrics);
    ~HttpServer();

    // Binds and starts serving; throws Error when it cannot.
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
    class Factory;
    class Handler;
    core::HttpSettings settings_;
    Responder& responder_;
    Metrics& metrics_;
    Poco::Logger& log_;
    Poco::ThreadPool threads_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
};

// A JSON answer: {"error": message} for errors.
void json_answer(HttpResponse& response, int status, const std::string& json_text);
void error_answer(HttpResponse& response, int status, const std::string& message);

}  // namespace peoplesync::server
