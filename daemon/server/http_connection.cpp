#include "http_connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#if defined(_WIN32)
#include <winsock2.h>
#else
#include <poll.h>
#include <sys/socket.h>
#endif

namespace peoplesync::server {

int last_socket_error() {
#if defined(_WIN32)
    return WSAGetLastError();
#else
    return errno;
#endif
}

int poll_sockets(pollfd* entries, std::size_t count, int timeout_ms) {
#if defined(_WIN32)
    return WSAPoll(entries, static_cast<ULONG>(count), timeout_ms);
#else
    return ::poll(entries, static_cast<nfds_t>(count), timeout_ms);
#endif
}

namespace {

#if defined(MSG_NOSIGNAL)
constexpr int send_flags = MSG_NOSIGNAL;
#else
constexpr int send_flags = 0;
#endif

[[noreturn]] void broken(const std::string& what, int error) {
    throw Poco::Net::NetException(what + ": " + std::strerror(error), error);
}

}  // namespace

bool wait_until_ready(poco_socket_t fd, short events, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        pollfd entry{fd, events, 0};
        const int ready = poll_sockets(&entry, 1, static_cast<int>(std::max<long long>(left, 0)));
        if (ready > 0) return true;  // readiness, or an error the next call reports
        if (ready == 0) return false;
        if (last_socket_error() != POCO_EINTR) broken("poll", last_socket_error());
    }
}

Connection::Connection(Poco::Net::StreamSocket socket, const Poco::Net::SocketAddress& client, SSL_CTX* tls)
    : socket_(std::move(socket)),
      fd_(socket_.impl()->sockfd()),
      client_address_(client.host().toString()),
      wanted_(POLLIN) {
    socket_.setBlocking(false);
    socket_.setNoDelay(true);
    if (tls == nullptr) return;
    tls_ = SSL_new(tls);
    if (tls_ == nullptr || SSL_set_fd(tls_, static_cast<int>(fd_)) != 1) {
        SSL_free(tls_);
        throw Poco::Net::NetException("cannot start a TLS session");
    }
#if defined(SSL_OP_IGNORE_UNEXPECTED_EOF)
    // A client that closes without close_notify ends the stream, as on plain HTTP: a body cut short is reported so.
    SSL_set_options(tls_, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    SSL_set_accept_state(tls_);
}

Connection::~Connection() {
    if (tls_ != nullptr) {
        if (SSL_is_init_finished(tls_) == 1 && !tls_failed_) {
            ERR_clear_error();
            SSL_shutdown(tls_);  // close_notify, if the socket takes it now
        }
        SSL_free(tls_);
    }
    ERR_clear_error();
}

int Connection::tls_result(int result) {
    if (result > 0) return result;
    const int error = SSL_get_error(tls_, result);
    switch (error) {
        case SSL_ERROR_WANT_READ:
            wanted_ = POLLIN;
            return -1;
        case SSL_ERROR_WANT_WRITE:
            wanted_ = POLLOUT;
            return -1;
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0 && result == 0) return 0;  // the peer closed without close_notify
            tls_failed_ = true;
            broken("TLS", last_socket_error());
        default: {
            tls_failed_ = true;
            char text[256] = "unknown error";
            ERR_error_string_n(ERR_get_error(), text, sizeof text);
            ERR_clear_error();
            throw Poco::Net::NetException(std::string("TLS: ") + text);
        }
    }
}

int Connection::receive_some(char* out, std::size_t size) {
    const int length = static_cast<int>(std::min<std::size_t>(size, 1 << 30));
    if (tls_ != nullptr) {
        ERR_clear_error();
        return tls_result(SSL_read(tls_, out, length));
    }
    while (true) {
        const auto received = ::recv(fd_, out, length, 0);
        if (received >= 0) return static_cast<int>(received);
        const int error = last_socket_error();
        if (error == POCO_EINTR) continue;
        if (error == POCO_EAGAIN || error == POCO_EWOULDBLOCK) {
            wanted_ = POLLIN;
            return -1;
        }
        broken("receive", error);
    }
}

int Connection::send_some(const char* data, std::size_t size) {
    const int length = static_cast<int>(std::min<std::size_t>(size, 1 << 30));
    if (tls_ != nullptr) {
        ERR_clear_error();
        const int sent = tls_result(SSL_write(tls_, data, length));
        if (sent == 0) broken("TLS", POCO_ECONNRESET);
        return sent;
    }
    while (true) {
        const auto sent = ::send(fd_, data, length, send_flags);
        if (sent >= 0) return static_cast<int>(sent);
        const int error = last_socket_error();
        if (error == POCO_EINTR) continue;
        if (error == POCO_EAGAIN || error == POCO_EWOULDBLOCK) {
            wanted_ = POLLOUT;
            return -1;
        }
        broken("send", error);
    }
}

Connection::Fill Connection::fill(std::size_t limit) {
    char chunk[16 * 1024];
    while (buffer_.size() - start_ < limit) {
        const int received = receive_some(chunk, std::min(sizeof chunk, limit - (buffer_.size() - start_)));
        if (received < 0) return Fill::waiting;
        if (received == 0) return Fill::closed;
        buffer_.append(chunk, static_cast<std::size_t>(received));
    }
    return Fill::full;
}

std::size_t Connection::head_size() {
    while (start_ < buffer_.size() && (buffer_[start_] == '\r' || buffer_[start_] == '\n')) ++start_;
    scanned_ = std::max(scanned_, start_);
    // The head ends with an empty line: LF CR LF, or LF LF from a lenient client.
    for (std::size_t at = buffer_.find('\n', scanned_); at != std::string::npos; at = buffer_.find('\n', at + 1)) {
        if (at + 1 < buffer_.size() && buffer_[at + 1] == '\n') return at + 2 - start_;
        if (at + 2 < buffer_.size() && buffer_[at + 1] == '\r' && buffer_[at + 2] == '\n') return at + 3 - start_;
        if (at + 2 >= buffer_.size()) {
            scanned_ = at;  // its empty line may still arrive
            return 0;
        }
    }
    scanned_ = buffer_.size();
    return 0;
}

void Connection::consume(std::size_t size) {
    start_ += std::min(size, buffer_.size() - start_);
    if (start_ == buffer_.size()) {
        buffer_.clear();
        start_ = scanned_ = 0;
    } else if (start_ > 64 * 1024) {
        buffer_.erase(0, start_);
        scanned_ -= std::min(scanned_, start_);
        start_ = 0;
    }
}

std::size_t Connection::read(char* out, std::size_t size, std::chrono::milliseconds timeout) {
    if (has_bytes()) {
        const std::size_t taken = std::min(size, buffer_.size() - start_);
        std::memcpy(out, buffer_.data() + start_, taken);
        consume(taken);
        return taken;
    }
    while (true) {
        const int received = receive_some(out, size);
        if (received >= 0) return static_cast<std::size_t>(received);
        if (!wait_until_ready(fd_, wanted_, timeout)) throw Poco::TimeoutException("no bytes for too long");
    }
}

bool Connection::read_line(std::string& line, std::size_t max, std::chrono::milliseconds timeout) {
    while (true) {
        const auto end = buffer_.find('\n', start_);
        if (end != std::string::npos) {
            if (end - start_ > max) break;
            line.assign(buffer_, start_, end - start_);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            consume(end + 1 - start_);
            return true;
        }
        if (buffer_.size() - start_ > max) break;
        char chunk[4096];
        int received = receive_some(chunk, sizeof chunk);
        if (received < 0) {
            if (!wait_until_ready(fd_, wanted_, timeout)) throw Poco::TimeoutException("no bytes for too long");
            continue;
        }
        if (received == 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(received));
    }
    throw Poco::Net::MessageException("a line longer than " + std::to_string(max) + " bytes");
}

void Connection::write(std::string_view data, std::chrono::milliseconds timeout) {
    while (!data.empty()) {
        const int sent = send_some(data.data(), data.size());
        if (sent > 0) {
            data.remove_prefix(static_cast<std::size_t>(sent));
        } else if (!wait_until_ready(fd_, wanted_, timeout)) {
            throw Poco::TimeoutException("the client takes no more bytes");
        }
    }
}

void Connection::try_write(std::string_view data) {
    try {
        send_some(data.data(), data.size());
    } catch (const Poco::Exception&) {
    }
}

void Connection::stop_sending() {
    if (tls_ != nullptr) {
        ERR_clear_error();
        if (SSL_shutdown(tls_) < 0) ERR_clear_error();
        return;
    }
    ::shutdown(fd_, 1);  // SHUT_WR, SD_SEND
}

void Connection::abort() {
    ::shutdown(fd_, 2);  // SHUT_RDWR, SD_BOTH
}

}  // namespace peoplesync::server
