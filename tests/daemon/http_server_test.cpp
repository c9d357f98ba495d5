// The daemon's HTTP server under pressure, over real sockets on 127.0.0.1:
// a second daemon on a port the first holds, a flood of refused webhook
// requests, idle connections, and a body that ends before its length.
#include <algorithm>
#include <atomic>
#include <memory>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double p95(std::vector<double> samples) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    return samples[std::min(samples.size() - 1, samples.size() * 95 / 100)];
}

// One request on a connection of its own, with a timeout short enough that
// a starved server fails the test quickly. Its time in milliseconds, and
// the status (0 when there was none).
struct Timed {
    int status = 0;
    double ms = 0;
};

Timed timed_request(std::uint16_t port, const std::string& method, const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    const std::string& body = "") {
    const auto started = Clock::now();
    Timed timed;
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", port);
        session.setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [name, value] : headers) request.set(name, value);
        if (method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string ignored;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), ignored);
        timed.status = static_cast<int>(response.getStatus());
    } catch (const Poco::Exception&) {
    }
    timed.ms = milliseconds_since(started);
    return timed;
}

// True when the server closed the connection (the end of the stream within 500 ms), false when it is open.
bool closed_by_server(Poco::Net::StreamSocket& socket) {
    socket.setReceiveTimeout(Poco::Timespan(0, 500 * 1000));
    char byte = 0;
    try {
        return socket.receiveBytes(&byte, 1) <= 0;
    } catch (const Poco::TimeoutException&) {
        return false;
    } catch (const Poco::Exception&) {
        return true;  // reset
    }
}

class HttpServerTest : public DaemonTest {
protected:
    void TearDown() override {
        if (other_pid_ > 0 && alive(other_pid_)) ::kill(other_pid_, SIGKILL);
        if (other_pid_ > 0) ::waitpid(other_pid_, nullptr, 0);
        std::error_code ec;
        if (!other_dir_.empty()) std::filesystem::remove_all(other_dir_, ec);
        DaemonTest::TearDown();
    }

    // A second daemon with its own folder and state database, on `listen`;
    // its exit status, or nothing if it still runs after 10 s.
    std::optional<int> second_daemon_exit(const std::string& listen) {
        other_dir_ = dir_.string() + "-second";
        std::filesystem::create_directories(other_dir_);
        std::ofstream(other_dir_ / "peoplesync.yaml") << "state_database: var/state.db\n"
                                                      << "http:\n  listen: " << listen << "\n"
                                                      << "log:\n  target: file\n  path: daemon.log\n"
                                                      << "pipelines:\n"
                                                      << "  - name: hris\n"
                                                      << "    source: {type: webhook}\n"
                                                      << "    sinks:\n"
                                                      << "      - {type: directory, database: var/directory.db}\n";
        auto handle = Poco::Process::launch(PEOPLESYNCD, {"--config", (other_dir_ / "peoplesync.yaml").string()},
                                            other_dir_.string(), nullptr, nullptr, nullptr, Poco::Process::Env{});
        other_pid_ = handle.id();
        const auto until = Clock::now() + 10s;
        while (Clock::now() < until) {
            int status = 0;
            if (::waitpid(other_pid_, &status, WNOHANG) == other_pid_) {
                other_pid_ = 0;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }

    std::string second_log() { return read_text(other_dir_ / "daemon.log"); }

    std::filesystem::path other_dir_;
    pid_t other_pid_ = 0;
};

TEST_F(HttpServerTest, ASecondDaemonOnAHeldPortExits70SayingAddressInUse) {
    start();
    make_credentials();
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const auto status = second_daemon_exit(listen);
    ASSERT_TRUE(status.has_value()) << "the second daemon serves the port the first holds; its log:\n" << second_log();
    EXPECT_EQ(*status, 70) << second_log();
    EXPECT_NE(second_log().find("http.listen: cannot serve http on " + listen + ": the address is in use"),
              std::string::npos)
        << second_log();
    // Every request reaches the first daemon: none lands on a listener that does not know the endpoint.
    for (int i = 0; i < 40; ++i) {
        ASSERT_EQ(get("/health").parsed()["pid"], pid_);
        ASSERT_EQ(post_snapshot(read_text(dir_ / "webhook-data-example.json")).status, 202);
    }
    stop();
}

// The same words when a program other than peoplesyncd holds the port.
TEST_F(HttpServerTest, APortAnotherProgramHoldsIsReportedTheSameWay) {
    Poco::Net::ServerSocket holder;
    holder.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    holder.listen();
    const std::string listen = "127.0.0.1:" + std::to_string(holder.address().port());
    const auto status = second_daemon_exit(listen);
    ASSERT_TRUE(status.has_value()) << second_log();
    EXPECT_EQ(*status, 70);
    EXPECT_NE(second_log().find("http.listen: cannot serve http on " + listen + ": the address is in use"),
              std::string::npos)
        << second_log();
}

// 50 keep-alive connections of wrong-key POSTs for 3 s. Meanwhile a load
// balancer's /health, Prometheus' /metrics and an operator's admin call
// each answer in under 100 ms (95th percentile), and the HRIS's own POST
// is accepted.
TEST_F(HttpServerTest, AFloodOfRefusedWebhookRequestsStarvesNeitherHealthNorAdminNorTheRealSender) {
    start();
    make_credentials();
    const std::uint16_t port = port_;
    const std::string endpoint = endpoint_path_;
    std::atomic<bool> flooding{true};
    std::atomic<long> refused{0}, other{0};
    std::vector<std::thread> flood;
    for (int i = 0; i < 50; ++i)
        flood.emplace_back([&] {
            auto session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
            session->setTimeout(Poco::Timespan(5, 0));
            session->setKeepAlive(true);
            const std::string body = R"({"users": []})";
            while (flooding) {
                try {
                    Poco::Net::HTTPRequest request("POST", endpoint, Poco::Net::HTTPMessage::HTTP_1_1);
                    request.set("X-HRIS-AUTHENTICATION", "wrong-key");
                    request.setContentType("application/json");
                    request.setContentLength(static_cast<std::streamsize>(body.size()));
                    request.setKeepAlive(true);
                    session->sendRequest(request) << body;
                    Poco::Net::HTTPResponse response;
                    std::string ignored;
                    Poco::StreamCopier::copyToString(session->receiveResponse(response), ignored);
                    (response.getStatus() == 401 ? refused : other) += 1;
                } catch (const Poco::Exception&) {
                    // The server closed the connection: open a new one, as a client would.
                    session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
                    session->setTimeout(Poco::Timespan(5, 0));
                }
            }
        });

    std::vector<double> health, metrics, admin_calls;
    int webhook_status = 0;
    const auto flood_started = Clock::now();
    const auto flood_ends = flood_started + 3s;
    std::this_thread::sleep_for(300ms);  // the flood is at full strength
    bool posted = false;
    while (Clock::now() < flood_ends) {
        Timed h = timed_request(port, "GET", "/health");
        EXPECT_EQ(h.status, 200);
        health.push_back(h.ms);
        Timed m = timed_request(port, "GET", "/metrics");
        EXPECT_EQ(m.status, 200);
        metrics.push_back(m.ms);
        Timed a = timed_request(port, "GET", "/admin/v1/pipelines", {{"Authorization", "Bearer " + admin_token}});
        EXPECT_EQ(a.status, 200);
        admin_calls.push_back(a.ms);
        if (!posted && milliseconds_since(flood_started) > 1500) {
            posted = true;
            webhook_status = timed_request(port, "POST", endpoint,
                                           {{"X-HRIS-AUTHENTICATION", key_}, {"Content-Type", "application/json"}},
                                           read_text(dir_ / "webhook-data-example.json"))
                                 .status;
        }
        std::this_thread::sleep_for(20ms);
    }
    flooding = false;
    for (auto& t : flood) t.join();

    EXPECT_GT(refused.load(), 1000) << "the flood did not happen";
    EXPECT_EQ(other.load(), 0);
    EXPECT_TRUE(posted);
    EXPECT_EQ(webhook_status, 202) << "the real sender's POST during the flood";
    ASSERT_GE(health.size(), 10u);
    EXPECT_LT(p95(health), 100.0) << health.size() << " GET /health; slowest "
                                  << *std::max_element(health.begin(), health.end()) << " ms";
    EXPECT_LT(p95(metrics), 100.0) << metrics.size() << " GET /metrics; slowest "
                                   << *std::max_element(metrics.begin(), metrics.end()) << " ms";
    EXPECT_LT(p95(admin_calls), 100.0) << admin_calls.size() << " admin calls; slowest "
                                       << *std::max_element(admin_calls.begin(), admin_calls.end()) << " ms";
    stop();
}

// Connections that send nothing, or half a request head, hold no thread:
// with threads: 4 and twice that many of them, /health and a webhook POST
// are answered at once.
TEST_F(HttpServerTest, IdleAndSlowConnectionsHoldNoThread) {
    write_config("", "  threads: 4\n");
    start();
    make_credentials();
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
    for (int i = 0; i < 8; ++i) {
        idle.push_back(std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", port_)));
        if (i % 2 == 1) {
            const std::string half = "POST " + endpoint_path_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
            idle.back()->sendBytes(half.data(), static_cast<int>(half.size()));
        }
    }
    std::this_thread::sleep_for(200ms);  // every one of them has reached the server
    for (int i = 0; i < 5; ++i) {
        Timed health = timed_request(port_, "GET", "/health");
        EXPECT_EQ(health.status, 200);
        EXPECT_LT(health.ms, 100.0);
    }
    Timed posted = timed_request(port_, "POST", endpoint_path_,
                                 {{"X-HRIS-AUTHENTICATION", key_}, {"Content-Type", "application/json"}},
                                 read_text(dir_ / "webhook-data-example.json"));
    EXPECT_EQ(posted.status, 202);
    EXPECT_LT(posted.ms, 1000.0);
    stop();
}

// At max_connections, a new connection takes the place of the one that has
// waited longest for a request: idle connections cannot lock clients out.
TEST_F(HttpServerTest, AtMaxConnectionsTheLongestIdleMakesRoom) {
    write_config("", "  max_connections: 8\n");
    start();
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
    for (int i = 0; i < 12; ++i) {
        idle.push_back(std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", port_)));
        std::this_thread::sleep_for(20ms);  // accepted in this order
    }
    Timed health = timed_request(port_, "GET", "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_LT(health.ms, 100.0);
    // The first ones were closed to make room: they read the end of the stream at once.
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(closed_by_server(*idle[static_cast<std::size_t>(i)])) << i;
    EXPECT_FALSE(closed_by_server(*idle.back()));
    const std::string metrics = get("/metrics").body;
    std::smatch refused;
    ASSERT_TRUE(std::regex_search(metrics, refused, std::regex("\npeoplesync_http_refused_connections_total (\\d+)")))
        << metrics;
    EXPECT_GE(std::stoi(refused[1]), 5);
    stop();
}

// A body shorter than its Content-Length (the sender stopped early) is
// refused as such, and never reaches the webhook as if it were whole.
TEST_F(HttpServerTest, ABodyCutShortIsRefusedAndNeverHandedOn) {
    start();
    make_credentials();
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_));
    const std::string request =
        "POST " + endpoint_path_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-HRIS-AUTHENTICATION: " + key_ +
        "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n" + R"({"users": [)" + std::string(389, ' ');
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    socket.shutdownSend();
    const std::string answer = read_to_end(socket);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("the request body ended early, after 400 of 1000 bytes"), std::string::npos) << answer;
    EXPECT_EQ(admin("GET", "/requests?pipeline=hris").parsed().size(), 0u) << "the cut body was logged as a request";
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
