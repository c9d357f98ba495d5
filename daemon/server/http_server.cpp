// The HTTP server's accept and poll loop (docs/design.md §1.1): one thread
// that accepts, finishes TLS handshakes without blocking, reads request heads
// and hands each to its pool. A little over 600 lines because the poll loop's
// states (handshake, head, idle keep-alive, closing) are read best together.
#include "http_server.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <sstream>

#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include <peoplesync/error.hpp>

#include "body_memory.hpp"
#include "http_body.hpp"
#include "push_gateway.hpp"

namespace peoplesync::server {

void json_answer(HttpResponse& response, int status, const std::string& json_text) {
    response.status = status;
    response.content_type = "application/json";
    response.body = json_text + "\n";
}

void error_answer(HttpResponse& response, int status, const std::string& message) {
    json_answer(response, status,
                nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

struct HttpServer::Pending {
    Poco::Net::HTTPRequest head;
    std::string path;
    std::string query;
    bool bad_uri = false;
};

namespace {

// Poco's own limits (100 fields of 8 KiB) allow more, but no client of the daemon sends a head near this.
constexpr std::size_t max_head_bytes = 64 * 1024;
constexpr int listen_backlog = 1024;

void too_large(HttpResponse& response, std::int64_t limit) {
    error_answer(response, 413,
                 "the request body is larger than the server accepts (max_body_bytes: " + std::to_string(limit) + ")");
}

// The status line and headers of an answer.
std::string answer_head(const HttpResponse& response, const std::string& version, bool keep_alive) {
    Poco::Net::HTTPResponse head;
    head.setVersion(version == Poco::Net::HTTPMessage::HTTP_1_0 ? version : Poco::Net::HTTPMessage::HTTP_1_1);
    head.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
    head.setDate(Poco::Timestamp());
    head.set("Server", "peoplesyncd");
    head.setContentType(response.content_type);
    for (const auto& [name, value] : response.headers) head.set(name, value);
    head.setKeepAlive(keep_alive);
    head.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
    std::ostringstream text;
    head.write(text);
    return text.str();
}

// After answering a request whose body was not read, the client may still
// be sending it: closing at once would reset the connection and could lose
// the answer. Stop sending, and read what comes for a moment.
void linger(Connection& connection) {
    try {
        connection.stop_sending();
        const auto until = Clock::now() + std::chrono::seconds(1);
        char buffer[16 * 1024];
        while (Clock::now() < until)
            if (connection.read(buffer, sizeof buffer, std::chrono::milliseconds(200)) == 0) break;
    } catch (const Poco::Exception&) {
    }
}

}  // namespace

HttpServer::HttpServer(const core::HttpSettings& settings, Responder& responder, Metrics& metrics)
    : settings_(settings), responder_(responder), metrics_(metrics), log_(Poco::Logger::get("peoplesyncd.http")) {}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::listen() {
    if (listening_) return;
    const Poco::Net::SocketAddress address(settings_.host, settings_.port);
    const std::string where = "http.listen: cannot serve " + std::string(settings_.tls.enabled() ? "https" : "http") +
                              " on " + address.toString() + ": ";
    try {
        if (settings_.tls.enabled()) {
            Poco::Net::initializeSSL();
            tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, settings_.tls.private_key_file.string(),
                                          settings_.tls.certificate_file.string(), "", Poco::Net::Context::VERIFY_NONE);
            tls_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        }
        // Never SO_REUSEPORT (which Poco's ServerSocket(address) turns on): with it a second daemon would
        // bind the same port and take half the requests. SO_REUSEADDR only lets a restart bind past
        // TIME_WAIT on Unix; on Windows it would let another socket take the port, so not there.
#if defined(_WIN32)
        listener_.bind(address, false, false);
#else
        listener_.bind(address, true, false);
#endif
        listener_.listen(listen_backlog);
        listener_.setBlocking(false);
        port_ = listener_.address().port();
        wake_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), false);
        wake_.connect(wake_.address());
        wake_.setBlocking(false);
    } catch (const Poco::Exception& e) {
        if (e.code() == POCO_EADDRINUSE)
            throw Error(where + "the address is in use (another peoplesyncd, or another program, listens there)");
        throw Error(where + e.displayText());
    }
    listening_ = true;
}

void HttpServer::start() {
    listen();
    webhook_workers_ = std::make_unique<WorkerPool>(settings_.threads, static_cast<std::size_t>(settings_.queue));
    control_workers_ =
        std::make_unique<WorkerPool>(settings_.control_threads, static_cast<std::size_t>(settings_.queue), 1);
    poller_ = std::thread([this] { poll_connections(); });
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

void HttpServer::wake_poller() {
    try {
        wake_.sendBytes("w", 1);
    } catch (const Poco::Exception&) {
        // A full buffer: the poller has wake-ups waiting already.
    }
}

void HttpServer::poll_connections() {
    std::vector<std::shared_ptr<Connection>> waiting;
    std::vector<pollfd> watched;
    auto accept_paused_until = Clock::time_point();
    while (!stopping_) {
        std::vector<std::shared_ptr<Connection>> returned;
        {
            std::lock_guard lock(mutex_);
            returned.swap(returned_);
        }
        for (auto& connection : returned)
            if (advance(connection)) waiting.push_back(std::move(connection));
        // Those advance() is done with close now, not after the wait below
        // (up to a second): a client that sent its last request waits for that.
        returned.clear();
        if (!accepting_ && !listener_closed_) {
            listener_.close();
            {
                std::lock_guard lock(mutex_);
                listener_closed_ = true;
            }
            listener_closed_signal_.notify_all();
        }

        auto now = Clock::now();
        const bool may_accept = !listener_closed_ && accept_paused_until <= now;
        watched.clear();
        watched.push_back({wake_.impl()->sockfd(), POLLIN, 0});
        if (may_accept) watched.push_back({listener_.impl()->sockfd(), POLLIN, 0});
        const std::size_t first_connection = watched.size();
        auto next_deadline = now + std::chrono::seconds(1);
        if (!may_accept && !listener_closed_) next_deadline = std::min(next_deadline, accept_paused_until);
        for (const auto& connection : waiting) {
            watched.push_back({connection->fd(), connection->wanted_events(), 0});
            next_deadline = std::min(next_deadline, connection->deadline);
        }
        idle_connections_ = static_cast<int>(waiting.size());
        const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - now).count();
        const int ready =
            poll_sockets(watched.data(), watched.size(), static_cast<int>(std::max<long long>(wait_ms, 0) + 1));
        if (ready < 0 && last_socket_error() != POCO_EINTR) {
            log_.error("the HTTP server cannot wait for its connections: poll failed, error " +
                       std::to_string(last_socket_error()));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        if ((watched[0].revents & POLLIN) != 0) {
            char drained[64];
            try {
                while (wake_.receiveBytes(drained, sizeof drained) > 0) {
                }
            } catch (const Poco::Exception&) {
            }
        }

        now = Clock::now();
        std::vector<std::shared_ptr<Connection>> still_waiting;
        still_waiting.reserve(waiting.size());
        for (std::size_t i = 0; i < waiting.size(); ++i) {
            auto& connection = waiting[i];
            if (ready > 0 && watched[first_connection + i].revents != 0 && !advance(connection)) continue;
            if (connection->deadline <= now) {
                if (connection->has_bytes())
                    refuse(*connection, 408, "the request head did not arrive in time (request_timeout_secs)");
                continue;
            }
            still_waiting.push_back(std::move(connection));
        }
        waiting.swap(still_waiting);
        if (may_accept && ready > 0 && watched[1].revents != 0) {
            if (!accept_connections(waiting)) accept_paused_until = Clock::now() + std::chrono::milliseconds(100);
        }
    }
    idle_connections_ = 0;
    if (!listener_closed_) listener_.close();
}

bool HttpServer::accept_connections(std::vector<std::shared_ptr<Connection>>& waiting) {
    for (int accepted = 0; accepted < 64; ++accepted) {
        Poco::Net::SocketAddress client;
        Poco::Net::StreamSocket socket;
        try {
            socket = listener_.acceptConnection(client);
        } catch (const Poco::Exception& e) {
            const int error = e.code();
            if (error == POCO_EAGAIN || error == POCO_EWOULDBLOCK) return true;
            if (error == POCO_ECONNABORTED || error == POCO_EINTR) continue;
            // Out of file descriptors, say: try again shortly, and say so once in a while.
            const auto now = Clock::now();
            if (now - last_accept_warning_ > std::chrono::seconds(10)) {
                last_accept_warning_ = now;
                log_.warning("cannot accept connections: " + e.displayText() +
                             " (open connections: " + std::to_string(waiting.size()) + " waiting for a request)");
            }
            return false;
        }
        std::size_t open = waiting.size();
        {
            std::lock_guard lock(mutex_);
            open += serving_.size();
        }
        open += webhook_workers_->queued() + control_workers_->queued();
        if (open >= static_cast<std::size_t>(settings_.max_connections)) {
            // The connection that has waited longest for a request makes room; a new one is refused
            // only when every open connection is being served.
            auto oldest = std::min_element(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) {
                return a->waiting_since < b->waiting_since;
            });
            ++refused_connections_;
            if (oldest == waiting.end()) {
                socket.close();
                continue;
            }
            waiting.erase(oldest);
        }
        try {
            auto connection =
                std::make_shared<Connection>(std::move(socket), client, tls_.isNull() ? nullptr : tls_->sslContext());
            connection->waiting_since = Clock::now();
            connection->deadline = connection->waiting_since + std::chrono::seconds(settings_.request_timeout_secs);
            waiting.push_back(std::move(connection));
        } catch (const Poco::Exception& e) {
            log_.warning("a connection from " + client.toString() + " could not be set up: " + e.displayText());
        }
    }
    return true;
}

bool HttpServer::advance(std::shared_ptr<Connection>& connection) {
    Connection::Fill fill;
    try {
        fill = connection->fill(max_head_bytes);
    } catch (const Poco::Exception& e) {
        log_.debug("connection from " + connection->client_address() + " dropped: " + e.displayText());
        return false;
    }
    const std::size_t head_size = connection->head_size();
    if (head_size == 0) {
        if (fill == Connection::Fill::full) {
            refuse(*connection, 431,
                   "the request head is larger than the server accepts (" + std::to_string(max_head_bytes) + " bytes)");
            return false;
        }
        if (fill == Connection::Fill::closed) return false;
        if (connection->has_bytes() && !connection->request_begun) {
            connection->request_begun = true;
            connection->deadline = Clock::now() + std::chrono::seconds(settings_.request_timeout_secs);
        }
        return true;
    }

    auto request = std::make_shared<Pending>();
    try {
        Poco::MemoryInputStream head(connection->buffered().data(), head_size);
        request->head.read(head);
    } catch (const Poco::Exception& e) {
        refuse(*connection, 400, "the request head is not valid HTTP: " + e.message());
        return false;
    }
    connection->consume(head_size);
    try {
        const Poco::URI uri(request->head.getURI());
        request->path = uri.getPath();
        request->query = uri.getRawQuery();
    } catch (const Poco::Exception&) {
        request->bad_uri = true;
        request->path = "(not a URI)";
    }
    const RouteClass route = request->bad_uri ? RouteClass::webhook : responder_.route_class(request->path);
    WorkerPool& workers = route == RouteClass::webhook ? *webhook_workers_ : *control_workers_;
    if (!workers.submit([this, connection, request] { serve(connection, *request); }, route == RouteClass::probe)) {
        ++refused_connections_;
        refuse(*connection, 503, "the server is busy: every thread is serving and the queue is full; try again");
    }
    return false;
}

void HttpServer::refuse(Connection& connection, int status, const std::string& message) {
    HttpResponse response;
    error_answer(response, status, message);
    connection.try_write(answer_head(response, Poco::Net::HTTPMessage::HTTP_1_1, false) + response.body);
    log_.information("a request from " + connection.client_address() +
                     " refused before it was read: " + std::to_string(status) + " " + message);
    metrics_.http_answered("other", status);
}

void HttpServer::keep(std::shared_ptr<Connection> connection) {
    connection->request_begun = false;
    connection->waiting_since = Clock::now();
    connection->deadline = connection->waiting_since + std::chrono::seconds(settings_.keepalive_timeout_secs);
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        returned_.push_back(std::move(connection));
    }
    wake_poller();
}

void HttpServer::serve(const std::shared_ptr<Connection>& connection, Pending& request) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        serving_.insert(connection.get());
    }
    bool keep_alive = false;
    try {
        keep_alive = exchange(*connection, request);
    } catch (const std::exception& e) {
        log_.error("a request from " + connection->client_address() + " failed: " + e.what());
    }
    {
        std::lock_guard lock(mutex_);
        serving_.erase(connection.get());
    }
    if (keep_alive) keep(connection);
}

bool HttpServer::exchange(Connection& connection, Pending& pending) {
    const auto started = Clock::now();
    const std::chrono::milliseconds timeout = std::chrono::seconds(settings_.request_timeout_secs);
    current_request_note() = {};
    const Poco::Net::HTTPRequest& head = pending.head;
    HttpRequest request;
    HttpResponse response;
    request.method = head.getMethod();
    request.path = pending.path;
    request.query = pending.query;
    request.remote_address = connection.client_address();
    for (const auto& [name, value] : head) request.headers.emplace_back(name, value);
    std::string route = "other";
    const std::string logged_path = pending.bad_uri ? pending.path : responder_.loggable(request.path);
    const std::int64_t limit = settings_.max_body_bytes;
    const bool chunked = head.getChunkedTransferEncoding();
    std::int64_t length = -1;
    if (!chunked && head.hasContentLength()) {
        const std::string& text = head.get(Poco::Net::HTTPMessage::CONTENT_LENGTH);
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
        if (error == std::errc::result_out_of_range)
            length = INT64_MAX;
        else if (error != std::errc() || end != text.data() + text.size() || length < 0)
            length = -2;
    }
    // The client may still be sending a body that was not read: answer, then linger.
    bool unread_body = false;
    bool close = chunked && head.hasContentLength();  // RFC 9112 6.1: a message smuggler's shape

    if (pending.bad_uri) {
        error_answer(response, 400, "the request target is not a valid URI");
        unread_body = true;
    } else if (length == -2) {
        error_answer(response, 400, "the Content-Length header is not a number of bytes");
        unread_body = true;
    } else if (length > limit) {
        // Decided before "100 Continue" would be sent: a client that waits for it never sends the body.
        too_large(response, limit);
        unread_body = true;
    } else if (const std::string problem = body_memory_problem(length, available_memory_bytes()); !problem.empty()) {
        error_answer(response, 413, problem);
        unread_body = true;
    } else if (!chunked && head.has(Poco::Net::HTTPMessage::TRANSFER_ENCODING)) {
        error_answer(response, 501,
                     "Transfer-Encoding \"" + head.getTransferEncoding() +
                         "\" is not supported: send a Content-Length, or Transfer-Encoding: chunked");
        unread_body = true;
    } else {
        BodyRead body;
        try {
            if (head.getExpectContinue()) connection.write("HTTP/1.1 100 Continue\r\n\r\n", timeout);
            // Without a length or chunks a request has no body (RFC 9112 6.3).
            if (chunked)
                body = read_chunked(connection, request.body, limit, timeout);
            else if (length >= 0)
                body = read_fixed_length(connection, length, request.body, timeout);
        } catch (const Poco::TimeoutException&) {
            error_answer(response, 408, "the request body did not arrive in time (request_timeout_secs)");
            unread_body = true;
        } catch (const Poco::Exception& e) {
            log_.information(request.method + " " + logged_path + " from " + request.remote_address +
                             ": the connection was lost while reading: " + e.displayText());
            return false;
        }
        if (response.status == 200 && response.body.empty()) {
            switch (body.outcome) {
                case BodyRead::whole:
                    route = respond(request, response, logged_path);
                    break;
                case BodyRead::too_large:
                    if (body.problem.empty())
                        too_large(response, limit);
                    else
                        error_answer(response, 413, body.problem);
                    unread_body = true;
                    break;
                case BodyRead::cut_short:
                    error_answer(response, 400, body.problem);
                    close = true;
                    break;
                case BodyRead::malformed:
                    error_answer(response, 400, body.problem);
                    unread_body = true;
                    break;
            }
        }
    }

    // A refused key or an unknown endpoint costs a flooding client a new connection each time.
    if (response.status == 401 || (response.status == 404 && route == "other")) close = true;
    const bool keep_alive =
        settings_.keepalive_timeout_secs > 0 && head.getKeepAlive() && !unread_body && !close && !stopping_;
    try {
        const std::string answer = answer_head(response, head.getVersion(), keep_alive);
        if (request.method == "HEAD") {
            connection.write(answer, timeout);
        } else if (response.body.size() <= 16 * 1024) {
            connection.write(answer + response.body, timeout);
        } else {
            connection.write(answer, timeout);
            connection.write(response.body, timeout);
        }
    } catch (const Poco::Exception& e) {
        // The client went away; the log line still says what it would have been told.
        log_.debug("the answer could not be sent: " + e.displayText());
        unread_body = false;
    }
    if (unread_body) linger(connection);

    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    const RequestNote& note = current_request_note();
    std::string line = request.method + " " + logged_path + " " + std::to_string(response.status) + " from " +
                       request.remote_address + ", " + std::to_string(request.body.size()) + " bytes in, " +
                       std::to_string(ms.count()) + " ms";
    if (!note.request_id.empty()) line += " (pipeline " + note.pipeline + ", request " + note.request_id + ")";
    log_.information(line);
    metrics_.http_answered(route, response.status);
    current_request_note() = {};
    return keep_alive;
}

std::string HttpServer::respond(const HttpRequest& request, HttpResponse& response, const std::string& logged_path) {
    try {
        return responder_.respond(request, response);
    } catch (const std::exception& e) {
        log_.error(request.method + " " + logged_path + ": " + e.what());
        response = HttpResponse{};
        error_answer(response, 500, "the request could not be handled; see the daemon's log");
        return "other";
    }
}

void HttpServer::stop_accepting() {
    if (!poller_.joinable()) {
        if (listening_ && !listener_closed_) listener_.close();
        listener_closed_ = true;
        return;
    }
    accepting_ = false;
    wake_poller();
    std::unique_lock lock(mutex_);
    listener_closed_signal_.wait(lock, [&] { return listener_closed_.load() || stopping_.load(); });
}

void HttpServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (!poller_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        accepting_ = false;
    }
    listener_closed_signal_.notify_all();
    wake_poller();
    poller_.join();  // it closes the listener and the connections waiting for a request
    {
        std::lock_guard lock(mutex_);
        for (Connection* connection : serving_) connection->abort();
        returned_.clear();
    }
    webhook_workers_->stop();
    control_workers_->stop();
    std::lock_guard lock(mutex_);
    returned_.clear();
}

ServerGauges HttpServer::gauges() const {
    ServerGauges gauges;
    gauges.refused_connections = refused_connections_;
    gauges.idle_connections = idle_connections_;
    {
        std::lock_guard lock(mutex_);
        gauges.current_connections = static_cast<int>(serving_.size());
    }
    if (webhook_workers_ && control_workers_)
        gauges.queued_connections = static_cast<int>(webhook_workers_->queued() + control_workers_->queued());
    return gauges;
}

}  // namespace peoplesync::server
