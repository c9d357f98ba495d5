// The daemon as a process: restarts lose no acknowledged request, SIGHUP
// reloads (or keeps the old configuration), SIGTERM stops in time,
// --daemon --pidfile, scheduled pulls, the admin API's token, and the CLI
// going through the daemon.
#include <Poco/Net/NetworkInterface.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

// A pull pipeline: a small CSV export, every second.
std::string csv_pipeline(const std::string& schedule) {
    return "  - name: export\n"
           "    source: {type: csv, path: people.csv}\n" +
           (schedule.empty() ? std::string() : "    schedule: " + schedule + "\n") +
           "    sinks:\n"
           "      - {type: directory, database: var/export-directory.db}\n";
}

class LifecycleTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        std::ofstream(dir_ / "people.csv") << "hris_id,first_name,last_name,email,active\n"
                                           << "1,Ada,Lovelace,ada@example.com,true\n"
                                           << "2,Alan,Turing,alan@example.com,true\n";
    }

    std::vector<std::string> pipeline_names() {
        std::vector<std::string> names;
        for (const auto& p : admin("GET", "/pipelines").parsed()) names.push_back(p["name"]);
        return names;
    }

    bool wait_for_log(const std::string& text, std::chrono::milliseconds limit = 10s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            if (log_text().find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
};

// Acknowledged, then the machine dies before the run: the next start runs it.
// PEOPLESYNC_TEST_PROCESSING_DELAY_MS holds the request between its answer
// and its run, so the kill lands there every time.
TEST_F(LifecycleTest, AKilledDaemonLosesNoAcknowledgedRequest) {
    start({{"PEOPLESYNC_TEST_PROCESSING_DELAY_MS", "30000"}});
    make_credentials();
    Answer posted = post_snapshot(read_text(dir_ / "webhook-data-example.json"));
    ASSERT_EQ(posted.status, 202) << posted.body;
    const std::string id = posted.parsed()["request_id"];
    EXPECT_EQ(request_record(id)["status"], "validated");
    kill_hard();

    start();
    json record = wait_for_request(id, {"simulated"});
    EXPECT_EQ(record["run_report"]["changes"]["created"], 1);
}

TEST_F(LifecycleTest, SigtermStopsWithinTenSecondsAndTheWaitingRequestRunsAtTheNextStart) {
    start({{"PEOPLESYNC_TEST_PROCESSING_DELAY_MS", "30000"}});
    make_credentials();
    Answer posted = post_snapshot(read_text(dir_ / "webhook-data-example.json"));
    ASSERT_EQ(posted.status, 202);
    const auto asked = std::chrono::steady_clock::now();
    stop();
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 10s);
    EXPECT_FALSE(std::filesystem::exists(runtime_file())) << "the runtime file outlived the daemon";
    EXPECT_NE(log_text().find("received SIGTERM"), std::string::npos);

    start();
    wait_for_request(posted.parsed()["request_id"], {"simulated"});
    stop();
}

// The log keeps the settings it started with: Poco's loggers read their
// channel without a lock, and a reload that replaced it raced every thread
// that logged (ThreadSanitizer, ConsoleAccessTest.ANewAdminTokenSignsEveryoneOut).
TEST_F(LifecycleTest, AReloadLeavesTheLogAsItStartedAndSaysSo) {
    start();
    std::string yaml = read_text(config());
    const std::string path = "  path: daemon.log\n";
    ASSERT_NE(yaml.find(path), std::string::npos) << yaml;
    yaml.replace(yaml.find(path), path.size(), path + "  level: debug\n");
    std::ofstream(config()) << yaml;
    signal(SIGHUP);
    ASSERT_TRUE(wait_for_log("configuration reloaded")) << log_text();
    EXPECT_NE(log_text().find("log: its settings changed; they take effect when the daemon restarts"),
              std::string::npos)
        << log_text();
    EXPECT_EQ(log_text().find(" Debug "), std::string::npos) << "the reload changed the log's level";
    stop();
}

TEST_F(LifecycleTest, SighupWithABadConfigurationKeepsTheOldOneAndAGoodOneIsApplied) {
    start();
    make_credentials();
    EXPECT_EQ(pipeline_names(), std::vector<std::string>{"hris"});

    std::ofstream(config(), std::ios::app) << "    sync: {mdoe: normal}\n";
    signal(SIGHUP);
    ASSERT_TRUE(wait_for_log("configuration not reloaded")) << log_text();
    EXPECT_NE(log_text().find("unknown option \"mdoe\""), std::string::npos) << log_text();
    EXPECT_EQ(get("/health").status, 200);
    EXPECT_EQ(pipeline_names(), std::vector<std::string>{"hris"});
    // The old pipelines still serve.
    EXPECT_EQ(post_snapshot(read_text(dir_ / "webhook-data-example.json")).status, 202);

    write_config(csv_pipeline(""));
    signal(SIGHUP);
    ASSERT_TRUE(wait_for_log("configuration reloaded")) << log_text();
    EXPECT_EQ(pipeline_names(), (std::vector<std::string>{"hris", "export"}));
    // The webhook survived the reload with its credentials.
    EXPECT_EQ(post_snapshot(read_text(dir_ / "webhook-data-example.json")).status, 202);
    stop();
}

TEST_F(LifecycleTest, DaemonModeForksAndThePidfileNamesTheDaemon) {
    const auto pidfile = dir_ / "peoplesyncd.pid";
    // From another folder: the daemon changes to / and must still find its configuration.
    Output launched =
        run_program(PEOPLESYNCD, {"--daemon", "--pidfile=" + pidfile.string(), "--config", config().string()},
                    std::filesystem::temp_directory_path());
    EXPECT_EQ(launched.status, 0) << launched.err;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!std::filesystem::exists(pidfile) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(std::filesystem::exists(pidfile));
    std::this_thread::sleep_for(50ms);  // the pid is written right after the file is made
    const pid_t pid = std::stoi(read_text(pidfile));
    pid_ = pid;  // TearDown kills it whatever happens
    ASSERT_TRUE(alive(pid));
    wait_until_serving(pid);
    json health = get("/health").parsed();
    EXPECT_EQ(health["pid"], pid);
    EXPECT_EQ(getsid(pid), pid) << "the daemon leads a session of its own";

    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    const auto asked = std::chrono::steady_clock::now();
    while (alive(pid) && std::chrono::steady_clock::now() - asked < 10s) std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(alive(pid)) << "the daemon did not stop within 10 s";
    pid_ = 0;
    // Poco removes its pidfile as the process ends.
    for (int i = 0; i < 100 && std::filesystem::exists(pidfile); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(std::filesystem::exists(pidfile));
}

TEST_F(LifecycleTest, DaemonModeRefusesABadConfigurationBeforeItForks) {
    std::ofstream(config(), std::ios::app) << "bogus: 1\n";
    Output launched = run_program(
        PEOPLESYNCD, {"--daemon", "--pidfile", (dir_ / "x.pid").string(), "--config", config().string()}, dir_);
    EXPECT_NE(launched.status, 0);
    EXPECT_NE(launched.err.find("unknown option \"bogus\""), std::string::npos) << launched.err;
    EXPECT_NE(launched.err.find("peoplesync.yaml:"), std::string::npos) << launched.err;
}

TEST_F(LifecycleTest, ScheduledPullsRun) {
    write_config(csv_pipeline("every 1s"));
    start();
    const auto until = std::chrono::steady_clock::now() + 10s;
    std::size_t scheduled = 0;
    while (scheduled < 2 && std::chrono::steady_clock::now() < until) {
        scheduled = 0;
        for (const auto& run : admin("GET", "/runs?pipeline=export").parsed())
            scheduled += run["trigger"] == "schedule" && run["status"] == "simulated";
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_GE(scheduled, 2u) << log_text();
    json pipelines = admin("GET", "/pipelines/export").parsed();
    EXPECT_EQ(pipelines["schedule"], "every 1s");
    EXPECT_FALSE(pipelines["next_run_at"].is_null());
    stop();
}

TEST_F(LifecycleTest, APushSourceTakesNoSchedule) {
    std::string text = read_text(config());
    text.replace(text.find("    source: {type: webhook}\n"), 28,
                 "    source: {type: webhook}\n    schedule: every 1h\n");
    std::ofstream(config()) << text;
    Output launched = run_program(PEOPLESYNCD, {"--config", config().string()}, dir_);
    EXPECT_EQ(launched.status, 78);  // EX_CONFIG
    EXPECT_NE(log_text().find("takes no schedule"), std::string::npos) << log_text();
}

TEST_F(LifecycleTest, TheAdminApiNeedsItsToken) {
    start();
    Answer none = http("GET", "/admin/v1/pipelines");
    Answer wrong = http("GET", "/admin/v1/pipelines", "", {{"Authorization", "Bearer wrong-token-0123456789abcdef"}});
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(none.headers["WWW-Authenticate"], "Bearer realm=\"peoplesyncd admin\"");
    EXPECT_EQ(http("POST", "/admin/v1/pipelines/hris/enable").status, 401);
    EXPECT_EQ(admin("GET", "/pipelines/hris").parsed()["mode"], "test") << "an unauthorized enable went through";
    Answer ok = admin("GET", "/pipelines");
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(admin("GET", "/nothing").status, 404);
    EXPECT_EQ(admin("DELETE", "/pipelines").status, 405);
    EXPECT_EQ(admin("POST", "/pipelines/hris/run").status, 409) << "a push pipeline cannot be pulled";
}

// Listening on every interface, the admin API still answers only on loopback.
TEST_F(LifecycleTest, TheAdminApiAnswersOnlyOnThisMachine) {
    std::string address;
    for (const auto& nic : Poco::Net::NetworkInterface::list())
        for (const auto& ip : nic.addressList())
            if (ip.get<0>().family() == Poco::Net::IPAddress::IPv4 && !ip.get<0>().isLoopback() && address.empty())
                address = ip.get<0>().toString();
    if (address.empty()) GTEST_SKIP() << "this machine has no address but loopback";
    std::string text = read_text(config());
    text.replace(text.find("127.0.0.1:0"), 11, "0.0.0.0:0");
    std::ofstream(config()) << text;
    start();
    Poco::Net::HTTPClientSession session(address, port_);
    Poco::Net::HTTPRequest request("GET", "/admin/v1/pipelines", Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + admin_token);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    EXPECT_EQ(response.getStatus(), 403) << body;
    EXPECT_NE(body.find("allow_remote"), std::string::npos);
    EXPECT_EQ(admin("GET", "/pipelines").status, 200) << "loopback is refused";
    stop();
}

// Without a configured token the daemon makes one; the CLI on the same
// machine finds it, and goes through the daemon.
TEST_F(LifecycleTest, TheCliGoesThroughTheRunningDaemon) {
    std::string text = read_text(config());
    text.replace(text.find("  token: " + admin_token + "\n"), admin_token.size() + 10, "  token: ''\n");
    std::ofstream(config()) << text << csv_pipeline("");
    start();
    Output run = cli({"run", "export", "--json"});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(json::parse(run.out)["status"], "simulated");
    Output status = cli({"status"});
    EXPECT_NE(status.out.find("peoplesyncd (pid " + std::to_string(pid_) + ")"), std::string::npos) << status.out;
    Output enabled = cli({"enable", "export"});
    ASSERT_EQ(enabled.status, 0) << enabled.err;
    Output applied = cli({"run", "export", "--json"});
    EXPECT_EQ(json::parse(applied.out)["status"], "applied") << applied.out;
    Output runs = cli({"runs", "export", "--json"});
    for (const auto& r : json::parse(runs.out)) EXPECT_EQ(r["trigger"], "cli through peoplesyncd");
    EXPECT_NE(log_text().find("pipeline export run 2 (cli through peoplesyncd): applied"), std::string::npos)
        << log_text();
    // A plugin command through the daemon, and the alias.
    Output endpoint = cli({"command", "hris", "source", "endpoint"});
    EXPECT_EQ(endpoint.status, 0);
    EXPECT_NE(endpoint.out.find("no webhook credentials yet"), std::string::npos) << endpoint.out;
    make_credentials();
    EXPECT_EQ(endpoint_url_.rfind(url_, 0), 0u) << endpoint_url_ << " is not served at " << url_;
    stop();

    // With the daemon gone, the CLI acts here.
    Output local = cli({"run", "export", "--json"});
    EXPECT_EQ(json::parse(local.out)["status"], "noop") << local.out << local.err;
}

// HTTPS with the configured certificate; curl checks it, the CLI talks to the daemon through it.
TEST_F(LifecycleTest, TlsServesHttps) {
    const std::string url = start_https();
    ASSERT_FALSE(HasFailure());
    Output health = run_program("curl", {"--silent", "--show-error", "--cacert", "cert.pem", url + "/health"}, dir_);
    ASSERT_EQ(health.status, 0) << health.err;
    EXPECT_EQ(json::parse(health.out)["status"], "ok");
    Output plain = run_program("curl", {"--silent", "http" + url.substr(5) + "/health"}, dir_);
    EXPECT_NE(plain.status, 0) << "plain HTTP answered on the HTTPS port";
    make_credentials();
    EXPECT_EQ(endpoint_url_.rfind(url, 0), 0u);
    Output sent = run_program(
        "curl",
        {"--silent", "--cacert", "cert.pem", "--header", "X-HRIS-AUTHENTICATION: " + key_, "--header",
         "Content-Type: application/json", "-X", "POST", "--data-binary", "@webhook-data-example.json", endpoint_url_},
        dir_);
    EXPECT_EQ(json::parse(sent.out)["status"], "validated") << sent.out << sent.err;
    signal(SIGTERM);
    EXPECT_EQ(wait_for_exit(10s), 0);
}

TEST_F(LifecycleTest, HealthAndMetricsAnswerWithoutAToken) {
    start();
    json health = get("/health").parsed();
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["service"], "peoplesyncd");
    Answer metrics = get("/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.headers["Content-Type"].rfind("text/plain; version=0.0.4", 0), 0u);
    for (const char* name :
         {"peoplesync_runs_total", "peoplesync_changes_applied_total", "peoplesync_http_requests_total",
          "peoplesync_last_success_timestamp_seconds", "peoplesync_http_refused_connections_total",
          "peoplesync_heap_in_use_bytes", "peoplesync_heap_free_bytes"})
        EXPECT_NE(metrics.body.find(std::string("# TYPE ") + name), std::string::npos) << name;
    // SQLite's memory is not counted unless asked (it would cost every
    // allocation a global mutex), so it is not shown as 0 either.
    EXPECT_EQ(metrics.body.find("peoplesync_sqlite_memory"), std::string::npos) << metrics.body;
    EXPECT_EQ(get("/nothing").status, 404);
    stop();
}

#ifdef __GLIBC__
// The freed heap goes back to the system after every run, not at most every
// 10 s (under back-to-back pushes the RSS then crept up by a fifth in a
// quarter of an hour); /metrics counts the trims.
TEST_F(LifecycleTest, EveryRunGivesTheFreedHeapBackAndMetricsCountIt) {
    start();
    make_credentials();
    const auto trims = [this] {
        const std::string body = get("/metrics").body;
        std::smatch match;
        if (!std::regex_search(body, match, std::regex("\npeoplesync_heap_trims_total (\\d+)\n"))) return -1L;
        return std::stol(match[1]);
    };
    const long before = trims();
    ASSERT_GE(before, 0) << get("/metrics").body;
    for (int i = 0; i < 2; ++i) {
        Answer posted = post_snapshot(read_text(dir_ / "webhook-data-example.json"));
        ASSERT_EQ(posted.status, 202) << posted.body;
        wait_for_request(posted.parsed()["request_id"], {"simulated"});
    }
    // Two runs within a second or two: two trims.
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (trims() < before + 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
    EXPECT_GE(trims(), before + 2);
    EXPECT_NE(get("/metrics").body.find("\npeoplesync_heap_trim_seconds_total "), std::string::npos);
    stop();
}
#endif

TEST_F(LifecycleTest, MetricsShowSQLitesMemoryWhenAskedToCountIt) {
    Poco::Process::Env env;
    env["PEOPLESYNC_SQLITE_STATS"] = "1";
    start(env);
    const std::string body = get("/metrics").body;
    // The daemon has its state database open, so SQLite holds some memory.
    for (const std::string name : {"peoplesync_sqlite_memory_bytes", "peoplesync_sqlite_memory_max_bytes"}) {
        const std::string line = "\n" + name + " ";
        const std::size_t at = body.find(line);
        ASSERT_NE(at, std::string::npos) << name << '\n' << body;
        EXPECT_GT(std::stoll(body.substr(at + line.size())), 0) << name << '\n' << body;
    }
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
