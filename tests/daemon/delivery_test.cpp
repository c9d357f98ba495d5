// The sending side end to end: daemon A (csv source -> webhook sink) posts
// to daemon B (webhook source -> directory sink), both real peoplesyncd
// processes on 127.0.0.1. B stops and starts, answers with a wrong key; a
// scripted receiver in the test answers 500, 429 and never at all. Nothing A
// queued is lost, and B ends up holding the latest CSV.
#include <atomic>
#include <deque>
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
namespace {

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

const char* csv_header = "hris_id,first_name,last_name,email,job_title,active\n";

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

    void start_a(const std::string& key) {
        std::error_code ec;
        std::filesystem::remove(a_dir_ / "var" / "state.db.peoplesyncd.json", ec);
        auto handle = Poco::Process::launch(PEOPLESYNCD, {"--config", (a_dir_ / "peoplesync.yaml").string()},
                                            a_dir_.string(), nullptr, nullptr, nullptr, {{"A_KEY", key}});
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

TEST_F(DeliveryTest, DeliveriesWaitWhileTheReceiverIsDownAndArriveInOrderWhenItIsBack) {
    configure_a(endpoint_url_);
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n2,Bob,Marley,bob@example.com,Singer,true\n");
    start_a(key_);
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);

    // B is down: both runs queue a delivery that waits.
    stop();
    EXPECT_EQ(run_a()["status"], "applied");
    write_csv(
        "1,Ada,Lovelace,ada@example.com,Mathematician,true\n2,Bob,Marley,bob@example.com,Singer,true\n"
        "3,Cy,Young,cy@example.com,Pitcher,true\n");
    EXPECT_EQ(run_a()["status"], "applied");
    json sink = wait_for_outbox(
        [](const json& s) { return s["pending"] == 2 && s["messages"][0]["failed_attempts"].get<int>() >= 1; });
    EXPECT_EQ(sink["state"], "delivering");
    EXPECT_NE(sink["messages"][0]["last_result"].get<std::string>().find("127.0.0.1"), std::string::npos)
        << sink.dump(2);

    // A restarts meanwhile: nothing queued is lost.
    stop_a();
    start_a(key_);
    EXPECT_EQ(outbox_a()[0]["pending"], 2);

    // B is back (same port): both arrive, in order, and B holds the latest CSV.
    {
        // B listens where A sends.
        std::string text = read_text(config());
        text.replace(text.find("127.0.0.1:0"), 11, "127.0.0.1:" + std::to_string(b_port_));
        std::ofstream(config()) << text;
    }
    start();
    sink = wait_for_outbox([](const json& s) { return s["pending"] == 0 && s["delivered"] == 2; });
    EXPECT_EQ(sink["state"], "idle");
    json requests = admin("GET", "/requests").parsed();
    ASSERT_EQ(requests.size(), 2u) << requests.dump(2);
    wait_for_b("cy@example.com", "Pitcher");
    EXPECT_EQ(b_job_title("ada@example.com"), "Mathematician");
    EXPECT_EQ(b_job_title("cy@example.com"), "Pitcher");
    EXPECT_EQ(b_job_title("bob@example.com"), "Singer");

    // Nothing changed: nothing is sent.
    EXPECT_EQ(run_a()["status"], "noop");
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(admin("GET", "/requests").parsed().size(), 2u);
    // The key never shows in A's log.
    EXPECT_EQ(read_text(a_dir_ / "daemon.log").find(key_), std::string::npos);
}

TEST_F(DeliveryTest, AWrongKeyStopsDeliveryKeepsTheMessageAndSaysWhy) {
    configure_a(endpoint_url_);
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    start_a("0000000000000000000000000000000000000000");
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);
    EXPECT_EQ(run_a()["status"], "applied");

    json sink = wait_for_outbox([](const json& s) { return s["state"] == "stopped"; });
    EXPECT_EQ(sink["pending"], 1);
    const std::string why = sink["stopped"];
    EXPECT_NE(why.find("401"), std::string::npos) << why;
    // A further run cannot queue behind a refused message; it fails and says so.
    write_csv("1,Ada,Lovelace,ada@example.com,Mathematician,true\n");
    json failed = run_a();
    EXPECT_EQ(failed["status"], "failed");
    EXPECT_NE(failed["message"].get<std::string>().find("stopped delivering"), std::string::npos) << failed.dump(2);
    Answer scraped = [&] {
        std::swap(port_, a_port_);
        Answer m = get("/metrics");
        std::swap(port_, a_port_);
        return m;
    }();
    EXPECT_NE(scraped.body.find("peoplesync_outbox_stopped{pipeline=\"people\",sink=\"b\"} 1"), std::string::npos)
        << scraped.body;
    EXPECT_NE(scraped.body.find("outcome=\"rejected\""), std::string::npos);
    EXPECT_TRUE(admin("GET", "/requests").parsed().empty()) << "B accepted a request with a wrong key";

    // The operator fixes the key and retries: the kept message goes through.
    stop_a();
    start_a(key_);
    EXPECT_EQ(admin_a("POST", "/pipelines/people/sinks/b/outbox/retry").status, 200);
    sink = wait_for_outbox([](const json& s) { return s["pending"] == 0 && s["delivered"] == 1; });
    wait_for_b("ada@example.com", "Engineer");
    // And the next run goes through too.
    EXPECT_EQ(run_a()["status"], "applied");
    wait_for_outbox([](const json& s) { return s["delivered"] == 2; });
    wait_for_b("ada@example.com", "Mathematician");
}

TEST_F(DeliveryTest, ServerErrorsRateLimitsAndSilenceAreRetriedUntilAcknowledged) {
    ScriptedReceiver receiver;
    receiver.script({{500}, {429, "1"}, {0, "", true}, {503}, {200}});
    configure_a(receiver.url());
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    start_a("the-key");
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(run_a()["status"], "applied");

    json sink = wait_for_outbox([](const json& s) { return s["delivered"] == 1; }, 20s);
    EXPECT_EQ(sink["pending"], 0);
    auto got = receiver.received();
    ASSERT_EQ(got.size(), 5u);
    for (const auto& r : got) {
        EXPECT_EQ(r.body, got[0].body) << "every attempt sends the same message";
        EXPECT_EQ(r.message_id, got[0].message_id) << "a receiver de-duplicates by webhook-id";
        EXPECT_EQ(r.key, "the-key");
    }
    EXPECT_EQ(json::parse(got[0].body)["users"][0]["job_title"], "Engineer");
    // Retry-After: 1 was honoured: at least a second between the 429 and the next attempt.
    EXPECT_GE(std::chrono::steady_clock::now() - started, 1s);
    const std::string log = read_text(a_dir_ / "daemon.log");
    EXPECT_NE(log.find("HTTP 500"), std::string::npos) << log;
    EXPECT_NE(log.find("429"), std::string::npos);
    EXPECT_NE(log.find("delivered"), std::string::npos);
}

TEST_F(DeliveryTest, TheCliShowsRetriesAndDropsTheOutbox) {
    ScriptedReceiver receiver;
    receiver.script({{400}});
    configure_a(receiver.url());
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    // No daemon A: the CLI runs, queues and tries once itself.
    auto cli_a = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", (a_dir_ / "peoplesync.yaml").string()});
        return run_program(PEOPLESYNC_CLI, args, a_dir_, {{"A_KEY", "k"}});
    };
    ASSERT_EQ(cli_a({"enable", "people"}).status, 0);
    Output ran = cli_a({"run", "people"});
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_NE(ran.out.find("STOPPED"), std::string::npos) << ran.out;
    EXPECT_NE(ran.out.find("400"), std::string::npos) << ran.out;

    Output listed = cli_a({"outbox"});
    EXPECT_NE(listed.out.find("people/b: stopped, 1 waiting"), std::string::npos) << listed.out;

    receiver.script({{200}});
    Output retried = cli_a({"outbox", "retry", "people", "b"});
    EXPECT_EQ(retried.status, 0) << retried.out << retried.err;
    EXPECT_NE(retried.out.find("delivered"), std::string::npos) << retried.out;
    EXPECT_EQ(receiver.received().size(), 2u);

    // A refused message dropped: the next run sends the whole organisation again.
    receiver.script({{422}});
    write_csv("1,Ada,Lovelace,ada@example.com,Mathematician,true\n");
    EXPECT_EQ(cli_a({"run", "people"}).status, 0);
    Output dropped = cli_a({"outbox", "drop", "people", "b"});
    EXPECT_NE(dropped.out.find("dropped 1"), std::string::npos) << dropped.out;
    Output empty = cli_a({"outbox", "--json"});
    EXPECT_EQ(json::parse(empty.out)["sinks"][0]["pending"], 0);
    EXPECT_EQ(json::parse(empty.out)["sinks"][0]["state"], "idle");
    receiver.script({{200}});
    Output again = cli_a({"run", "people"});
    EXPECT_NE(again.out.find("delivered"), std::string::npos) << again.out << again.err;
    EXPECT_EQ(json::parse(receiver.received().back().body)["users"][0]["job_title"], "Mathematician");
}

TEST_F(DeliveryTest, TheShippedSenderSendsTheSampleCsvToB) {
    // The README's walkthrough: etc/webhook-sender.yaml with B's endpoint and key.
    const Poco::Process::Env env = {{"PEOPLESYNC_VAR", (a_dir_ / "var").string()},
                                    {"PEOPLESYNC_WEBHOOK_URL", endpoint_url_},
                                    {"PEOPLESYNC_WEBHOOK_KEY", key_}};
    auto sender = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", PEOPLESYNC_SOURCE_DIR "/etc/webhook-sender.yaml"});
        return run_program(PEOPLESYNC_CLI, args, a_dir_, env);
    };
    ASSERT_EQ(sender({"enable", "csv-to-webhook"}).status, 0);
    Output ran = sender({"run", "csv-to-webhook"});
    ASSERT_EQ(ran.status, 0) << ran.out << ran.err;
    EXPECT_NE(ran.out.find("delivered"), std::string::npos) << ran.out;
    wait_for_b("margaret.okafor@example.com", "Chief Executive Officer");
    Output again = sender({"run", "csv-to-webhook"});
    EXPECT_NE(again.out.find("noop"), std::string::npos) << again.out;
    EXPECT_EQ(admin("GET", "/requests").parsed().size(), 1u) << "an unchanged CSV sent something";
}

}  // namespace
}  // namespace peoplesync::daemon_test
