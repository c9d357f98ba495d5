// The webhook endpoint over HTTP: the daemon's HttpServer (request heads,
// headers, Content-Length and chunked bodies, limits) listening on
// 127.0.0.1, with the webhook source (path token, method, API key, content
// type, the JSON payload) answering behind it and a gateway that validates
// what it is handed. Each input is sent as it is on a new connection,
// "@TOKEN@" and "@KEY@" replaced by the endpoint's token and API key so the
// fuzzer reaches past authentication; the answer must be HTTP or nothing,
// and come before the server's timeouts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <peoplesync/http.hpp>
#include <peoplesync/testing.hpp>
#include <peoplesync/validation.hpp>

#include "fuzz_support.hpp"
#include "http_server.hpp"
#include "metrics.hpp"
#include "push_gateway.hpp"

using namespace peoplesync;
using namespace peoplesync::server;

extern "C" const PluginInfo* peoplesync_plugin_info();

namespace peoplesync::server {
// The daemon's gateway (push_gateway.cpp, with the pipelines behind it) is
// not linked; the note the server clears per request is.
RequestNote& current_request_note() {
    thread_local RequestNote note;
    return note;
}
}  // namespace peoplesync::server

namespace {

// What the daemon's push gateway does with a request, minus the disk: an
// id per request, and validation of what is submitted.
class ValidatingGateway final : public PushGateway {
public:
    std::string record_request(const HttpRequest&) override { return "r" + std::to_string(++requests_); }
    PushReceipt refuse(const std::string& request_id, const std::string& reason) override {
        PushReceipt receipt{request_id, "test", false, {}};
        receipt.findings.push_back({Severity::error, "request", reason, -1});
        return receipt;
    }
    PushReceipt submit(const std::string& request_id, Snapshot snapshot) override {
        validate_records(snapshot);
        PushReceipt receipt{request_id, "test", true, std::move(snapshot.findings)};
        for (const Finding& f : receipt.findings) receipt.accepted &= f.severity != Severity::error;
        return receipt;
    }

private:
    std::atomic<std::int64_t> requests_{0};
};

class WebhookHost final : public testing::MemoryHost {
public:
    void add_route(const std::string& prefix, HttpHandler& handler) override {
        route_prefix = prefix;
        route = &handler;
    }
    PushGateway& push() override { return gateway_; }

    std::string route_prefix;
    HttpHandler* route = nullptr;

private:
    ValidatingGateway gateway_;
};

// The daemon's routing, for one pipeline: its prefix to its handler, 404 for
// the rest.
class OneRoute final : public Responder {
public:
    explicit OneRoute(WebhookHost& host) : host_(host) {}
    std::string respond(const HttpRequest& request, HttpResponse& response) override {
        if (request.path.starts_with(host_.route_prefix) && host_.route->handle(request, response)) return "webhook";
        error_answer(response, 404, "no such endpoint");
        return "other";
    }
    std::string loggable(const std::string& path) override { return path; }
    RouteClass route_class(const std::string&) override { return RouteClass::webhook; }

private:
    WebhookHost& host_;
};

std::string line_value(const std::string& text, const std::string& key) {
    const std::size_t at = text.find(key + ": ");
    if (at == std::string::npos) fuzz::fail("no " + key + " in: " + text);
    const std::size_t from = at + key.size() + 2;
    return text.substr(from, text.find('\n', from) - from);
}

struct Endpoint {
    WebhookHost host;
    std::unique_ptr<Source> source;
    Metrics metrics;
    std::unique_ptr<OneRoute> responder;
    std::unique_ptr<HttpServer> server;
    std::string token, key;

    Endpoint() {
        const PluginInfo* info = peoplesync_plugin_info();
        const ConfigValue options = testing::options({});
        check_options(options, info->options);
        source.reset(info->make_source(options, host));
        const std::string shown = source->command("credentials", {});
        token = line_value(shown, "endpoint_token");
        key = line_value(shown, "api_key");
        source->start();
        responder = std::make_unique<OneRoute>(host);
        core::HttpSettings settings;
        settings.listen = settings.host = "127.0.0.1";
        settings.threads = 2;
        settings.control_threads = 2;
        settings.queue = 64;
        settings.max_connections = 64;
        settings.keepalive_timeout_secs = 5;
        settings.request_timeout_secs = 5;
        settings.max_body_bytes = 1 << 20;
        server = std::make_unique<HttpServer>(settings, *responder, metrics);
        server->start();
    }
};

std::string with_credentials(std::string bytes, const Endpoint& endpoint) {
    for (const auto& [placeholder, value] :
         {std::pair{std::string("@TOKEN@"), endpoint.token}, std::pair{std::string("@KEY@"), endpoint.key}})
        for (std::size_t at = 0; (at = bytes.find(placeholder, at)) != std::string::npos; at += value.size())
            bytes.replace(at, placeholder.size(), value);
    return bytes;
}

// Sends the bytes, then no more, and reads the answer until the server
// closes; fails when it has not within `patience`.
std::string exchange(std::uint16_t port, const std::string& request, std::chrono::seconds patience) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A machine making many connections at once (this target makes one per
    // input, the soak floods) can run out of local ports for a moment: wait
    // for one rather than call that a finding.
    const auto no_port_until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int fd = -1;
    while (true) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) fuzz::fail(std::string("no socket: ") + std::strerror(errno));
        if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) break;
        const int error = errno;
        close(fd);
        if ((error != EADDRNOTAVAIL && error != EAGAIN) || std::chrono::steady_clock::now() > no_port_until)
            fuzz::fail(std::string("cannot connect: ") + std::strerror(error));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::string answer;
    std::size_t sent = 0;
    bool sending = true;
    char buffer[16384];
    while (true) {
        pollfd entry{fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0};
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            fuzz::fail("no whole answer within " + std::to_string(patience.count()) + " s; so far: " + answer);
        poll(&entry, 1, static_cast<int>(left.count()));
        if (sending && (entry.revents & POLLOUT)) {
            const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n > 0) sent += static_cast<std::size_t>(n);
            if (n < 0 || sent == request.size()) {
                shutdown(fd, SHUT_WR);
                sending = false;
            }
        }
        if (entry.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) break;  // closed, or reset after an answer to a request cut short
            answer.append(buffer, static_cast<std::size_t>(n));
        }
    }
    close(fd);
    return answer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Endpoint endpoint;
    const std::string request = with_credentials(std::string(fuzz::bytes(data, size)), endpoint);
    // The server waits at most request_timeout_secs for a head and for each
    // part of a body; the client sends everything at once, so an answer
    // takes far less.
    const std::string answer = exchange(endpoint.server->port(), request, std::chrono::seconds(15));
    fuzz::check(answer.empty() || answer.starts_with("HTTP/1."), "an answer that is not HTTP: " + answer);
    return 0;
}
