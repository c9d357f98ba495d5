#include "http_server.hpp"

#include <chrono>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include <peoplesync/error.hpp>

#include "push_gateway.hpp"

namespace peoplesync::server {

using Poco::Net::HTTPResponse;

void json_answer(HttpResponse& response, int status, const std::string& json_text) {
    response.status = status;
    response.content_type = "application/json";
    response.body = json_text + "\n";
}

void error_answer(HttpResponse& response, int status, const std::string& message) {
    json_answer(response, status,
                nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

void too_large(HttpResponse& response, std::int64_t limit) {
    error_answer(response, 413,
                 "the request body is larger than the server accepts (max_body_bytes: " + std::to_string(limit) + ")");
}

// After answering a request whose body was not read, the client may still
// be sending it: closing at once would reset the connection and could lose
// the answer. Stop sending, and read what comes for a moment.
void linger(Poco::Net::HTTPServerRequest& request) {
    try {
        auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
        socket.shutdownSend();
        socket.setReceiveTimeout(Poco::Timespan(0, 200 * 1000));
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        char buffer[16 * 1024];
        while (std::chrono::steady_clock::now() < until)
            if (socket.receiveBytes(buffer, sizeof buffer) <= 0) break;
    } catch (const Poco::Exception&) {
    }
}

}  // namespace

class HttpServer::Handler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(HttpServer& server) : server_(server) {}

    void handleRequest(Poco::Net::HTTPServerRequest& http, Poco::Net::HTTPServerResponse& out) override {
        const auto started = std::chrono::steady_clock::now();
        current_request_note() = {};
        HttpRequest request;
        HttpResponse response;
        request.method = http.getMethod();
        request.remote_address = http.clientAddress().host().toString();
        for (const auto& [name, value] : http) request.headers.emplace_back(name, value);
        std::string route = "other", logged_path;
        bool unread_body = false, bad_uri = false;
        try {
            Poco::URI uri(http.getURI());
            request.path = uri.getPath();
            request.query = uri.getRawQuery();
        } catch (const Poco::Exception&) {
            bad_uri = true;
            request.path = "(not a URI)";
        }
        logged_path = bad_uri ? request.path : server_.responder_.loggable(request.path);
        const std::int64_t limit = server_.settings_.max_body_bytes;
        // The factory found a Content-Length over the limit: the body is never read.
        if (out.getStatus() == HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE) {
            too_large(response, limit);
            unread_body = true;
        } else if (bad_uri) {
            error_answer(response, 400, "the request target is not a valid URI");
            unread_body = true;
        } else {
            try {
                unread_body = !read_body(http, request.body, limit);
            } catch (const Poco::TimeoutException&) {
                error_answer(response, 408, "the request body did not arrive in time (request_timeout_secs)");
                unread_body = true;
            } catch (const Poco::Exception& e) {
                server_.log_.information(request.method + " " + logged_path + " from " + request.remote_address +
                                         ": the connection was lost while reading: " + e.displayText());
                return;
            }
            if (response.status == 200 && response.body.empty()) {
                if (unread_body)
                    too_large(response, limit);
                else
                    route = respond(request, response, logged_path);
            }
        }

        out.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(response.status));
        out.setContentType(response.content_type);
        for (const auto& [name, value] : response.headers) out.set(name, value);
        if (unread_body) out.setKeepAlive(false);
        out.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
        try {
            std::ostream& stream = out.send();
            if (request.method != "HEAD")
                stream.write(response.body.data(), static_cast<std::streamsize>(response.body.size()));
            stream.flush();  // before linger() shuts the socket for sending
        } catch (const Poco::Exception& e) {
            // The client went away; the log line still says what it would have been told.
            server_.log_.debug("the answer could not be sent: " + e.displayText());
        }
        if (unread_body) linger(http);

        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        const RequestNote& note = current_request_note();
        std::string line = request.method + " " + logged_path + " " + std::to_string(response.status) + " from " +
                           request.remote_address + ", " + std::to_string(request.body.size()) + " bytes in, " +
                           std::to_string(ms.count()) + " ms";
        if (!note.request_id.empty()) line += " (pipeline " + note.pipeline + ", request " + note.request_id + ")";
        server_.log_.information(line);
        server_.metrics_.http_answered(route, response.status);
        current_request_note() = {};
    }

private:
    std::string respond(const HttpRequest& request, HttpResponse& response, const std::string& logged_path) {
        try {
            return server_.responder_.respond(request, response);
        } catch (const std::exception& e) {
            server_.log_.error(request.method + " " + logged_path + ": " + e.what());
            response = HttpResponse{};
            error_answer(response, 500, "the request could not be handled; see the daemon's log");
            return "other";
        }
    }

    // False when the body is larger than `limit` (it is then not read to its end).
    static bool read_body(Poco::Net::HTTPServerRequest& http, std::string& body, std::int64_t limit) {
        // Without a length or chunks a request has no body (RFC 9112 6.3).
        if (!http.getChunkedTransferEncoding() && !http.hasContentLength()) return true;
        std::istream& in = http.stream();
        if (http.hasContentLength()) body.reserve(static_cast<std::size_t>(http.getContentLength64()));
        std::string buffer(read_chunk, '\0');
        while (in) {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            const auto n = static_cast<std::size_t>(in.gcount());
            if (n == 0) break;
            if (static_cast<std::int64_t>(body.size() + n) > limit) return false;
            body.append(buffer.data(), n);
        }
        return true;
    }

    HttpServer& server_;
};

class HttpServer::Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(HttpServer& server) : server_(server) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override {
        // Decided before the server would send "100 Continue": a client that
        // waits for it never sends the body.
        if (request.hasContentLength() && request.getContentLength64() > server_.settings_.max_body_bytes)
            request.response().setStatus(HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
        return new Handler(server_);
    }

private:
    HttpServer& server_;
};

HttpServer::HttpServer(const core::HttpSettings& settings, Responder& responder, Metrics& metrics)
    : settings_(settings),
      responder_(responder),
      metrics_(metrics),
      log_(Poco::Logger::get("peoplesyncd.http")),
      threads_("http", 2, settings.threads) {}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::start() {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(settings_.threads);
    params->setMaxQueued(settings_.queue);
    params->setKeepAlive(settings_.keepalive_timeout_secs > 0);
    params->setKeepAliveTimeout(Poco::Timespan(settings_.keepalive_timeout_secs, 0));
    params->setTimeout(Poco::Timespan(settings_.request_timeout_secs, 0));
    params->setSoftwareVersion("peoplesyncd");
    const Poco::Net::SocketAddress address(settings_.host, settings_.port);
    try {
        if (settings_.tls.enabled()) {
            Poco::Net::initializeSSL();
            Poco::Net::Context::Ptr context =
                new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, settings_.tls.private_key_file.string(),
                                       settings_.tls.certificate_file.string(), "", Poco::Net::Context::VERIFY_NONE);
            context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
            Poco::Net::SecureServerSocket socket(address, 64, context);
            port_ = socket.address().port();
            server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), threads_, socket, params);
        } else {
            Poco::Net::ServerSocket socket(address, 64);
            port_ = socket.address().port();
            server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), threads_, socket, params);
        }
    } catch (const Poco::Exception& e) {
        throw Error("http.listen: cannot serve " + std::string(settings_.tls.enabled() ? "https" : "http") + " on " +
                    address.toString() + ": " + e.displayText());
    }
    server_->start();
}

std::uint16_t HttpServer::port() const {
    return port_;
}

std::string HttpServer::local_url() const {
    std::string host = settings_.host;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return std::string(settings_.tls.enabled() ? "https" : "http") + "://" + host + ":" + std::to_string(port_);
}

void HttpServer::stop_accepting() {
    if (server_ && !stopped_) server_->stop();
}

void HttpServer::stop() {
    if (!server_ || stopped_) return;
    stopped_ = true;
    server_->stopAll(true);
    threads_.joinAll();
}

ServerGauges HttpServer::gauges() const {
    ServerGauges gauges;
    if (!server_) return gauges;
    gauges.refused_connections = server_->refusedConnections();
    gauges.current_connections = server_->currentConnections();
    gauges.queued_connections = server_->queuedConnections();
    return gauges;
}

}  // namespace peoplesync::server
