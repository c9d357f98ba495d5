// What the delivery tests share: a scripted receiver that records what
// arrives, and daemon B (the fixture's: webhook source -> directory) with a
// sender A (csv -> webhook sink) in a folder of its own.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {

// Answers POSTs as the test scripts it, and records what arrived.
class ScriptedReceiver {
public:
    struct Script {
        Script(int status_ = 200, std::string retry_after_ = {}, bool hang_ = false)
            : status(status_), retry_after(std::move(retry_after_)), hang(hang_) {}
        int status;
        std::string retry_after;
        bool hang;  // accept, read, never answer (until the test ends)
    };
    struct Received {
        std::string body;
        std::string key;
        std::string message_id;
        std::string timestamp;  // webhook-timestamp
        std::string signature;  // webhook-signature
        int answered = 0;
    };

    ScriptedReceiver() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(4);
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
        server_->start();
    }
    ~ScriptedReceiver() {
        releasing_ = true;
        server_->stopAll(true);
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/hook/"; }
    void script(std::vector<Script> answers) {
        std::lock_guard lock(mutex_);
        answers_.assign(answers.begin(), answers.end());
    }
    std::vector<Received> received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    class Handler final : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(ScriptedReceiver& r) : r_(r) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
            Received got;
            Poco::StreamCopier::copyToString(request.stream(), got.body);
            got.key = request.get("X-HRIS-AUTHENTICATION", "");
            got.message_id = request.get("webhook-id", "");
            got.timestamp = request.get("webhook-timestamp", "");
            got.signature = request.get("webhook-signature", "");
            Script answer;
            {
                std::lock_guard lock(r_.mutex_);
                if (!r_.answers_.empty()) {
                    answer = r_.answers_.front();
                    r_.answers_.pop_front();
                }
                got.answered = answer.hang ? 0 : answer.status;
                r_.received_.push_back(got);
            }
            if (answer.hang) {
                while (!r_.releasing_) std::this_thread::sleep_for(20ms);
                return;
            }
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
            if (!answer.retry_after.empty()) response.set("Retry-After", answer.retry_after);
            response.setContentType("application/json");
            response.send() << R"({"status":)" << answer.status << "}";
        }

    private:
        ScriptedReceiver& r_;
    };
    class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(ScriptedReceiver& r) : r_(r) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(r_);
        }

    private:
        ScriptedReceiver& r_;
    };

    Poco::Net::ServerSocket socket_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::mutex mutex_;
    std::deque<Script> answers_;
    std::vector<Received> received_;
    std::atomic<bool> releasing_{false};
};

inline const char* csv_header = "hris_id,first_name,last_name,email,job_title,active\n";

// B is the fixture's daemon (webhook source -> directory, live); A is a
// second peoplesyncd in a folder of its own.
class DeliveryTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        a_dir_ = dir_ / "a";
        std::filesystem::create_directories(a_dir_);
        start();
        make_credentials();
        ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
        b_port_ = port_;
    }

    void TearDown() override {
        if (a_pid_ > 0 && alive(a_pid_)) ::kill(a_pid_, SIGKILL);
        if (a_pid_ > 0) ::waitpid(a_pid_, nullptr, 0);
        if (HasFailure() && std::filesystem::exists(a_dir_ / "daemon.log"))
            std::cerr << "--- A's daemon.log\n" << read_text(a_dir_ / "daemon.log") << "---\n";
        DaemonTest::TearDown();
    }

    void write_csv(const std::string& rows) { std::ofstream(a_dir_ / "people.csv") << csv_header << rows; }

    // A posts to `url` with the key in A_KEY.
    void configure_a(const std::string& url, const std::string& sink_extra = "") {
        std::ofstream(a_dir_ / "peoplesync.yaml")
            << "state_database: var/state.db\n"
            << "http: {listen: 127.0.0.1:0}\n"
            << "admin: {token: " << admin_token << "}\n"
            << "log: {target: file, path: daemon.log, level: debug}\n"
            << "pipelines:\n"
            << "  - name: people\n"
            << "    source: {type: csv, path: people.csv}\n"
            << "    sync: {fields: [job_title]}\n"
            << "    sinks:\n"
            << "      - name: b\n"
            << "        type: webhook\n"
            << "        url: " << url << "\n"
            << "        api_key_env: A_KEY\n"
            << "        timeout_secs: 1\n"
            << "        connect_timeout_secs: 1\n"
            << "        retry: {initial_backoff_ms: 100, max_backoff_secs: 1, max_age_secs: 3600}\n"
            << sink_extra;
    }

    void start_a(const std::string& key, Poco::Process::Env env = {}) {
        env["A_KEY"] = key;
        std::error_code ec;
        std::filesystem::remove(a_dir_ / "var" / "state.db.peoplesyncd.json", ec);
        auto handle = Poco::Process::launch(PEOPLESYNCD, {"--config", (a_dir_ / "peoplesync.yaml").string()},
                                            a_dir_.string(), nullptr, nullptr, nullptr, env);
        a_pid_ = handle.id();
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < until) {
            json info = json::parse(read_text(a_dir_ / "var" / "state.db.peoplesyncd.json"), nullptr, false);
            if (info.is_object() && info.value("pid", 0) == a_pid_) {
                a_port_ = static_cast<std::uint16_t>(Poco::URI(info["url"].get<std::string>()).getPort());
                return;
            }
            ASSERT_TRUE(alive(a_pid_)) << "A did not start: " << read_text(a_dir_ / "daemon.log");
            std::this_thread::sleep_for(20ms);
        }
        FAIL() << "A did not start: " << read_text(a_dir_ / "daemon.log");
    }

    // The CLI on A's configuration, with the key in A_KEY.
    Output cli_a(std::vector<std::string> args, const std::string& key) {
        args.insert(args.begin(), {"--config", (a_dir_ / "peoplesync.yaml").string()});
        return run_program(PEOPLESYNC_CLI, args, a_dir_, {{"A_KEY", key}});
    }

    // B again after stop(), where A sends: on the port it had.
    void restart_b() {
        std::string text = read_text(config());
        if (const auto at = text.find("127.0.0.1:0\n"); at != std::string::npos)
            text.replace(at, 11, "127.0.0.1:" + std::to_string(b_port_));
        std::ofstream(config()) << text;
        start();
    }

    void stop_a() {
        ASSERT_EQ(::kill(a_pid_, SIGTERM), 0);
        int status = 0;
        ::waitpid(a_pid_, &status, 0);
        a_pid_ = 0;
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    Answer admin_a(const std::string& method, const std::string& path) {
        std::swap(port_, a_port_);
        Answer answer = admin(method, path);
        std::swap(port_, a_port_);
        return answer;
    }

    // A run of A now; returns its report.
    json run_a() {
        Answer ran = admin_a("POST", "/pipelines/people/run");
        EXPECT_EQ(ran.status, 200) << ran.body;
        return ran.parsed();
    }

    json outbox_a() { return admin_a("GET", "/outbox").parsed()["sinks"]; }

    // Polls A's outbox until `done` says so.
    json wait_for_outbox(const std::function<bool(const json&)>& done, std::chrono::milliseconds limit = 15s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        json sinks;
        while (std::chrono::steady_clock::now() < until) {
            sinks = outbox_a();
            if (sinks.is_array() && !sinks.empty() && done(sinks[0])) return sinks[0];
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << "A's outbox did not get there: " << sinks.dump(2);
        return sinks.is_array() && !sinks.empty() ? sinks[0] : json();
    }

    // What B's directory holds for a user: its job title, or "" if absent.
    std::string b_job_title(const std::string& user) {
        Output shown = cli({"directory", "--pipeline", "hris", "show", user});
        if (shown.status != 0) return "";
        std::smatch match;
        if (!std::regex_search(shown.out, match, std::regex("job_title +(.*)\n"))) return "?";
        return match[1];
    }

    // B applies what it acknowledged on a thread of its own: wait for it.
    void wait_for_b(const std::string& user, const std::string& job_title) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        std::string now;
        while (std::chrono::steady_clock::now() < until) {
            now = b_job_title(user);
            if (now == job_title) return;
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << user << " in B's directory: job title \"" << now << "\", not \"" << job_title << "\"";
    }

    std::filesystem::path a_dir_;
    pid_t a_pid_ = 0;
    std::uint16_t a_port_ = 0, b_port_ = 0;
};

}  // namespace peoplesync::daemon_test
