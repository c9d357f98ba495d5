// The daemon's HTTP/1.1 over raw sockets on 127.0.0.1: chunked bodies,
// 100-continue, pipelined requests, the keep-alive and head timeouts, bad
// heads, and the same protection over TLS.
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

using Clock = std::chrono::steady_clock;

void send_text(Poco::Net::StreamSocket& socket, const std::string& text) {
    std::size_t sent = 0;
    while (sent < text.size())
        sent += static_cast<std::size_t>(socket.sendBytes(text.data() + sent, static_cast<int>(text.size() - sent)));
}

// Bytes up to and including the first empty line.
std::string read_head(Poco::Net::StreamSocket& socket) {
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    std::string head;
    char c = 0;
    while (head.find("\r\n\r\n") == std::string::npos && socket.receiveBytes(&c, 1) == 1) head += c;
    return head;
}

class HttpProtocolTest : public DaemonTest {
protected:
    std::unique_ptr<Poco::Net::StreamSocket> connect() {
        return std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", port_));
    }

    std::string webhook_head(const std::string& framing) {
        return "POST " + endpoint_path_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-HRIS-AUTHENTICATION: " + key_ +
               "\r\nContent-Type: application/json\r\n" + framing + "\r\n";
    }

    std::size_t logged_requests() { return admin("GET", "/requests?pipeline=hris").parsed().size(); }
};

TEST_F(HttpProtocolTest, AChunkedBodyIsReadWhole) {
    start();
    make_credentials();
    const std::string body = read_text(dir_ / "webhook-data-example.json");
    const std::size_t half = body.size() / 2;
    std::ostringstream chunks;
    chunks << std::hex << half << ";note=first\r\n"
           << body.substr(0, half) << "\r\n"
           << (body.size() - half) << "\r\n"
           << body.substr(half) << "\r\n0\r\nX-Trailer: yes\r\n\r\n";
    auto socket = connect();
    send_text(*socket, webhook_head("Transfer-Encoding: chunked\r\nConnection: close\r\n") + chunks.str());
    const std::string answer = read_to_end(*socket);
    EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
    EXPECT_NE(answer.find("\"status\":\"validated\""), std::string::npos) << answer;
    stop();
}

TEST_F(HttpProtocolTest, AChunkedBodyCutShortIsRefusedAndNeverHandedOn) {
    start();
    make_credentials();
    auto socket = connect();
    send_text(*socket, webhook_head("Transfer-Encoding: chunked\r\n") + "a\r\n{\"users\": \r\n");
    socket->shutdownSend();
    const std::string answer = read_to_end(*socket);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("the request body ended early, after 10 bytes, before its last chunk"), std::string::npos)
        << answer;
    EXPECT_EQ(logged_requests(), 0u);
    stop();
}

TEST_F(HttpProtocolTest, ABadChunkSizeIsRefused) {
    start();
    make_credentials();
    auto socket = connect();
    send_text(*socket, webhook_head("Transfer-Encoding: chunked\r\n") + "zz\r\n{}\r\n0\r\n\r\n");
    const std::string answer = read_to_end(*socket);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("the chunked request body is malformed: \\\"zz\\\" is not a chunk size"), std::string::npos)
        << answer;
    EXPECT_EQ(logged_requests(), 0u);
    stop();
}

TEST_F(HttpProtocolTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
    start();
    make_credentials();
    const std::string body = read_text(dir_ / "webhook-data-example.json");
    auto socket = connect();
    send_text(*socket, webhook_head("Content-Length: " + std::to_string(body.size()) +
                                    "\r\nExpect: 100-continue\r\nConnection: close\r\n"));
    EXPECT_EQ(read_head(*socket), "HTTP/1.1 100 Continue\r\n\r\n");
    send_text(*socket, body);
    const std::string answer = read_to_end(*socket);
    EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
    stop();
}

TEST_F(HttpProtocolTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    auto socket = connect();
    send_text(*socket,
              "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
              "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const std::string answer = read_to_end(*socket);
    const auto health = answer.find("\"status\":\"ok\"");
    const auto missing = answer.find("HTTP/1.1 404");
    ASSERT_NE(health, std::string::npos) << answer;
    ASSERT_NE(missing, std::string::npos) << answer;
    EXPECT_LT(health, missing);
    EXPECT_NE(answer.find("Connection: Close"), std::string::npos) << "an unknown endpoint closes the connection";
    stop();
}

TEST_F(HttpProtocolTest, HeadAnswersWithoutABody) {
    start();
    auto socket = connect();
    send_text(*socket, "HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const std::string answer = read_to_end(*socket);
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
    EXPECT_EQ(answer.substr(answer.find("\r\n\r\n") + 4), "") << answer;
    EXPECT_NE(answer.find("Content-Length: "), std::string::npos);
    stop();
}

TEST_F(HttpProtocolTest, AnIdleKeepAliveConnectionIsClosedAfterKeepaliveTimeoutSecs) {
    write_config("", "  keepalive_timeout_secs: 1\n");
    start();
    auto socket = connect();
    send_text(*socket, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string head = read_head(*socket);
    ASSERT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
    const auto answered = Clock::now();
    read_to_end(*socket);  // the body, then the server's close
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - answered);
    EXPECT_GE(waited.count(), 800);
    EXPECT_LT(waited.count(), 3000);
    stop();
}

TEST_F(HttpProtocolTest, AHeadThatDoesNotArriveWithinRequestTimeoutSecsGets408) {
    write_config("", "  request_timeout_secs: 1\n");
    start();
    auto socket = connect();
    const auto sent = Clock::now();
    send_text(*socket, "GET /health HTTP/1.1\r\nHost: 127.");
    const std::string answer = read_to_end(*socket);
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
    EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
    EXPECT_NE(answer.find("the request head did not arrive in time (request_timeout_secs)"), std::string::npos);
    EXPECT_LT(waited.count(), 3000);
    stop();
}

TEST_F(HttpProtocolTest, AHeadThatIsNotHttpGets400) {
    start();
    auto socket = connect();
    send_text(*socket, "NONSENSE\r\n\r\n");
    const std::string answer = read_to_end(*socket);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("the request head is not valid HTTP"), std::string::npos) << answer;
    EXPECT_EQ(get("/health").status, 200);
    stop();
}

// Over HTTPS the poller does the handshakes: connections that send nothing,
// or stop mid-handshake, hold no thread either; a body cut short is still
// reported as such.
TEST_F(HttpProtocolTest, OverTlsIdleConnectionsHoldNoThreadAndACutBodyIsRefused) {
    const std::string url = start_https("  threads: 4\n");
    ASSERT_FALSE(HasFailure());

    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
    for (int i = 0; i < 8; ++i) {
        idle.push_back(connect());
        if (i % 2 == 1) send_text(*idle.back(), std::string("\x16\x03\x01\x02\x00\x01", 6));  // a ClientHello's start
    }
    std::this_thread::sleep_for(200ms);
    Output health = run_program(
        "curl", {"--silent", "--show-error", "--cacert", "cert.pem", "--write-out", "\n%{time_total}", url + "/health"},
        dir_);
    ASSERT_EQ(health.status, 0) << health.err;
    const auto newline = health.out.rfind('\n');
    EXPECT_EQ(json::parse(health.out.substr(0, newline))["status"], "ok");
    EXPECT_LT(std::stod(health.out.substr(newline + 1)), 0.5) << "seconds for GET /health over TLS";

    make_credentials();
    Poco::Net::Context::Ptr client =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_NONE);
    {
        Poco::Net::SecureStreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_), client);
        send_text(socket, webhook_head("Content-Length: 1000\r\n") + "{\"users\": [");
    }  // closed without close_notify's answer: the body ends after 11 bytes
    const auto until = Clock::now() + 5s;
    while (Clock::now() < until && log_text().find(" 400 from 127.0.0.1, 11 bytes in") == std::string::npos)
        std::this_thread::sleep_for(20ms);
    EXPECT_NE(log_text().find(" 400 from 127.0.0.1, 11 bytes in"), std::string::npos) << log_text();
    Output listed = cli({"requests", "hris", "--json"});
    EXPECT_EQ(json::parse(listed.out, nullptr, false).size(), 0u) << listed.out << listed.err;
    signal(SIGTERM);
    EXPECT_EQ(wait_for_exit(10s), 0);
}

}  // namespace
}  // namespace peoplesync::daemon_test
