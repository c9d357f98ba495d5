// One client connection of the daemon's HTTP server: its socket (never
// blocking), its TLS session when the server speaks HTTPS, and the bytes
// read from it that no request has consumed yet. The server's poller fills
// it, without waiting, until a request head is whole; a worker thread then
// reads the body and writes the answer, waiting at most a timeout for each.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/ossl_typ.h>

#if !defined(_WIN32)
#include <poll.h>
#endif

namespace peoplesync::server {

using Clock = std::chrono::steady_clock;

// poll() (WSAPoll() on Windows) and the error of the last socket call.
int poll_sockets(pollfd* entries, std::size_t count, int timeout_ms);
int last_socket_error();

// Waits until the socket is ready for `events` (POLLIN, POLLOUT); false after `timeout`.
bool wait_until_ready(poco_socket_t fd, short events, std::chrono::milliseconds timeout);

class Connection {
public:
    // `tls`: the server's TLS context, or null for plain HTTP.
    Connection(Poco::Net::StreamSocket socket, const Poco::Net::SocketAddress& client, SSL_CTX* tls);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    poco_socket_t fd() const { return fd_; }
    const std::string& client_address() const { return client_address_; }

    enum class Fill { waiting, closed, full };
    // Reads what has arrived, without waiting, until `limit` bytes are
    // buffered. Throws on a broken connection or TLS session.
    Fill fill(std::size_t limit);
    // What the poller waits for: POLLIN, or POLLOUT while a TLS handshake
    // cannot write.
    short wanted_events() const { return wanted_; }
    // The size of the buffered request head, its empty line included; 0
    // while it is incomplete. Empty lines before a request are dropped
    // (RFC 9112 2.2).
    std::size_t head_size();
    bool has_bytes() const { return buffer_.size() > start_; }
    std::string_view buffered() const { return std::string_view(buffer_).substr(start_); }
    void consume(std::size_t size);

    // Waiting at most `timeout` for each arrival; they throw
    // Poco::TimeoutException when it passes, Poco::IOException when the
    // connection breaks.
    // Up to `size` bytes, buffered ones first; 0 at the end of the stream.
    std::size_t read(char* out, std::size_t size, std::chrono::milliseconds timeout);
    // One line, without its CR LF; false at the end of the stream. Throws
    // Poco::Net::MessageException when it is longer than `max`.
    bool read_line(std::string& line, std::size_t max, std::chrono::milliseconds timeout);
    void write(std::string_view data, std::chrono::milliseconds timeout);
    // One attempt that does not wait (the poller's short answers): what
    // does not fit in the socket's buffer now is not sent.
    void try_write(std::string_view data);
    // No more bytes from us (FIN, or TLS close_notify): the client knows
    // the answer is whole while we read what it still sends.
    void stop_sending();
    // From another thread: a worker waiting on this connection wakes up
    // and finds it closed (the server is stopping).
    void abort();

    // The poller's bookkeeping while the connection waits for a request.
    Clock::time_point waiting_since;
    Clock::time_point deadline;
    bool request_begun = false;  // bytes of the next request have arrived

private:
    // Bytes received (> 0), 0 at the end of the stream, -1 when it would
    // block (wanted_ says on what).
    int receive_some(char* out, std::size_t size);
    int send_some(const char* data, std::size_t size);
    int tls_result(int result);

    Poco::Net::StreamSocket socket_;
    poco_socket_t fd_;
    std::string client_address_;
    SSL* tls_ = nullptr;
    bool tls_failed_ = false;  // OpenSSL forbids SSL_shutdown after a fatal error
    short wanted_;
    std::string buffer_;
    std::size_t start_ = 0;    // buffer_ before it is consumed
    std::size_t scanned_ = 0;  // buffer_ before it holds no head end
};

}  // namespace peoplesync::server
