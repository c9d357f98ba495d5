// A client that closes its side after a kept-alive answer sees the daemon
// close at once: the poller drops the connection when it reads the end,
// not after its next wait (up to a second), so the client is not held and
// the descriptor not kept. Found by fuzz_webhook_http, whose every request
// waited that second.
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

using Clock = std::chrono::steady_clock;

class HttpCloseTest : public DaemonTest {};

TEST_F(HttpCloseTest, TheServerClosesAsSoonAsTheClientDoesAfterAKeptAnswer) {
    start();
    for (int attempt = 0; attempt < 3; ++attempt) {
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_));
        const std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        socket.sendBytes(request.data(), static_cast<int>(request.size()));
        socket.shutdownSend();
        const auto sent = Clock::now();
        const std::string answer = read_to_end(socket);
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
        ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
        // The poller's wait is a second; before, every close took about that.
        EXPECT_LT(waited.count(), 500) << "the server closed " << waited.count() << " ms after the client";
    }
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
