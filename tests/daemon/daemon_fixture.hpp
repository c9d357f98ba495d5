// What the daemon tests share: a temporary folder with its own configuration
// and state, the real peoplesyncd started on a free loopback port (and
// killed in TearDown whatever happened), plain HTTP to it, and the CLI.
#pragma once

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include "run_program.hpp"
#include "test_dir.hpp"

namespace peoplesync::daemon_test {

using nlohmann::json;
using namespace std::chrono_literals;

inline const std::string admin_token = "test-admin-token-0123456789abcdef";

struct Answer {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
    json parsed() const {
        json j = json::parse(body, nullptr, false);
        return j.is_discarded() ? json() : j;
    }
};

using peoplesync::testing::Output;
using peoplesync::testing::run_program;

inline std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// What comes back on a raw connection until the server closes it (or 5 s pass).
inline std::string read_to_end(Poco::Net::StreamSocket& socket) {
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    std::string answer;
    char buffer[4096];
    try {
        int n = 0;
        while ((n = socket.receiveBytes(buffer, sizeof buffer)) > 0) answer.append(buffer, static_cast<std::size_t>(n));
    } catch (const Poco::Exception&) {
    }
    return answer;
}

// Alive, and not a zombie nobody has reaped yet.
inline bool alive(pid_t pid) {
    if (::kill(pid, 0) != 0) return false;
    std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

class DaemonTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesyncd");
        std::filesystem::copy_file(PEOPLESYNC_SOURCE_DIR "/samples/webhook-data-example.json",
                                   dir_ / "webhook-data-example.json");
        write_config();
    }

    void TearDown() override {
        // Whatever the test did: no daemon outlives it.
        if (pid_ > 0 && alive(pid_)) ::kill(pid_, SIGKILL);
        reap();
        if (HasFailure() && std::filesystem::exists(dir_ / "daemon.log"))
            std::cerr << "--- daemon.log\n" << read_text(dir_ / "daemon.log") << "---\n";
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // The test configuration: a webhook pipeline into a directory, and
    // `extra` YAML appended to the pipelines.
    void write_config(const std::string& extra = "", const std::string& http_extra = "") {
        std::ofstream(dir_ / "peoplesync.yaml") << "state_database: var/state.db\n"
                                                << "http:\n"
                                                << "  listen: 127.0.0.1:0\n"
                                                << "  max_body_bytes: " << max_body_bytes_ << "\n"
                                                << http_extra << "admin:\n"
                                                << "  token: " << admin_token << "\n"
                                                << "log:\n"
                                                << "  target: file\n"
                                                << "  path: daemon.log\n"
                                                << "pipelines:\n"
                                                << "  - name: hris\n"
                                                << "    source: {type: webhook}\n"
                                                << "    sinks:\n"
                                                << "      - {type: directory, database: var/directory.db}\n"
                                                << extra;
    }

    std::int64_t max_body_bytes_ = 1048576;  // http.max_body_bytes of write_config()

    std::filesystem::path config() const { return dir_ / "peoplesync.yaml"; }
    std::filesystem::path runtime_file() const { return dir_ / "var" / "state.db.peoplesyncd.json"; }

    // Starts peoplesyncd in the foreground and waits until it answers.
    void start(const Poco::Process::Env& env = {}) {
        std::error_code ec;
        std::filesystem::remove(runtime_file(), ec);
        auto handle = Poco::Process::launch(PEOPLESYNCD, {"--config", config().string()}, dir_.string(), nullptr,
                                            nullptr, nullptr, env);
        pid_ = handle.id();
        wait_until_serving();
    }

    // Starts peoplesyncd serving HTTPS with a self-signed certificate for
    // 127.0.0.1 (cert.pem, key.pem in the test's folder, for curl's
    // --cacert); `http_extra` is added to the http section. Returns its URL.
    std::string start_https(const std::string& http_extra = "") {
        Output made =
            run_program("openssl",
                        {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
                         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"},
                        dir_);
        EXPECT_EQ(made.status, 0) << made.err;
        write_config("", http_extra + "  tls: {certificate_file: cert.pem, private_key_file: key.pem}\n");
        auto handle = Poco::Process::launch(PEOPLESYNCD, {"--config", config().string()}, dir_.string(), nullptr,
                                            nullptr, nullptr, Poco::Process::Env{});
        pid_ = handle.id();
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < until && url_.rfind("https://", 0) != 0) {
            json info = json::parse(read_text(runtime_file()), nullptr, false);
            if (info.is_object() && info.value("pid", 0) == pid_) {
                url_ = info["url"].get<std::string>();
                port_ = static_cast<std::uint16_t>(Poco::URI(url_).getPort());
            }
            std::this_thread::sleep_for(20ms);
        }
        EXPECT_EQ(url_.rfind("https://127.0.0.1:", 0), 0u) << url_ << read_text(dir_ / "daemon.log");
        return url_;
    }

    void wait_until_serving(pid_t pid = 0) {
        if (pid == 0) pid = pid_;
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < until) {
            json info = json::parse(read_text(runtime_file()), nullptr, false);
            if (info.is_object() && info.value("pid", 0) == pid) {
                url_ = info["url"].get<std::string>();
                port_ = static_cast<std::uint16_t>(Poco::URI(url_).getPort());
                if (get("/health").status == 200) return;
            }
            if (!alive(pid)) break;
            std::this_thread::sleep_for(20ms);
        }
        FAIL() << "peoplesyncd did not start; its log:\n" << read_text(dir_ / "daemon.log");
    }

    // Waits for our child to end; its exit status, or nothing after `limit`.
    std::optional<int> wait_for_exit(std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            int status = 0;
            pid_t done = ::waitpid(pid_, &status, WNOHANG);
            if (done == pid_) {
                pid_ = 0;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }

    void reap() {
        if (pid_ <= 0) return;
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
    }

    void signal(int number) { ASSERT_EQ(::kill(pid_, number), 0); }

    // Stops the daemon as systemd would and checks that it went cleanly.
    void stop() {
        signal(SIGTERM);
        auto status = wait_for_exit(10s);
        ASSERT_TRUE(status.has_value()) << "peoplesyncd did not stop within 10 s of SIGTERM";
        EXPECT_EQ(*status, 0);
    }

    void kill_hard() {
        signal(SIGKILL);
        ASSERT_TRUE(wait_for_exit(5s).has_value());
    }

    Answer http(const std::string& method, const std::string& path, const std::string& body = "",
                const std::vector<std::pair<std::string, std::string>>& headers = {}) {
        Poco::Net::HTTPClientSession session("127.0.0.1", port_);
        session.setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [name, value] : headers) request.set(name, value);
        if (!body.empty() || method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
        Answer answer;
        try {
            session.sendRequest(request) << body;
            Poco::Net::HTTPResponse response;
            std::istream& in = session.receiveResponse(response);
            Poco::StreamCopier::copyToString(in, answer.body);
            answer.status = static_cast<int>(response.getStatus());
            for (const auto& [name, value] : response) answer.headers[name] = value;
        } catch (const Poco::Exception& e) {
            answer.body = e.displayText();
        }
        return answer;
    }

    Answer get(const std::string& path) { return http("GET", path); }

    Answer admin(const std::string& method, const std::string& path, const json& body = nullptr) {
        return http(method, "/admin/v1" + path, body.is_null() ? "" : body.dump(),
                    {{"Authorization", "Bearer " + admin_token}, {"Content-Type", "application/json"}});
    }

    // The CLI on the test's configuration.
    Output cli(std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", config().string()});
        return run_program(PEOPLESYNC_CLI, args, dir_);
    }

    // Makes the webhook's credentials through the CLI (through the daemon when it runs).
    void make_credentials(const std::string& pipeline = "hris") {
        Output made = cli({"webhook-credentials", pipeline});
        ASSERT_EQ(made.status, 0) << made.err;
        std::smatch match;
        ASSERT_TRUE(std::regex_search(made.out, match, std::regex("api_key: ([0-9a-f]{40})"))) << made.out;
        key_ = match[1];
        ASSERT_TRUE(std::regex_search(made.out, match, std::regex("url: (\\S+)"))) << made.out;
        endpoint_url_ = match[1];
        endpoint_path_ = Poco::URI(endpoint_url_).getPath();
    }

    Answer post_snapshot(const std::string& body, const std::string& content_type = "application/json") {
        return http("POST", endpoint_path_, body, {{"X-HRIS-AUTHENTICATION", key_}, {"Content-Type", content_type}});
    }

    json request_record(const std::string& id) { return admin("GET", "/requests/" + id).parsed(); }

    // Polls a request until its status is one of `statuses`.
    json wait_for_request(const std::string& id, const std::vector<std::string>& statuses,
                          std::chrono::milliseconds limit = 10s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        json record;
        while (std::chrono::steady_clock::now() < until) {
            record = request_record(id);
            if (record.is_object())
                for (const auto& s : statuses)
                    if (record.value("status", "") == s) return record;
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "request " << id << " did not reach the expected status: " << record.dump(2);
        return record;
    }

    std::string log_text() { return read_text(dir_ / "daemon.log"); }

    std::filesystem::path dir_;
    pid_t pid_ = 0;
    std::string url_;
    std::uint16_t port_ = 0;
    std::string key_, endpoint_url_, endpoint_path_;
};

}  // namespace peoplesync::daemon_test
