// Runs whose process died: a CLI run killed with SIGKILL at a known point
// (blocked reading its source, or after its sinks committed) is settled by
// the next process that takes the pipeline, from what each sink says it
// committed; and the outbox says nobody delivers when nobody does.
#include <fcntl.h>
#include <sys/stat.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const char* hold_variable = "PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS";

class DeadRunTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        write_csv("1,Ada,Lovelace,ada@example.com,true\n2,Alan,Turing,alan@example.com,true\n");
    }

    void TearDown() override {
        if (cli_pid_ > 0 && alive(cli_pid_)) ::kill(cli_pid_, SIGKILL);
        if (cli_pid_ > 0) ::waitpid(cli_pid_, nullptr, 0);
        DaemonTest::TearDown();
    }

    void write_csv(const std::string& rows) {
        std::ofstream(dir_ / "people.csv") << "hris_id,first_name,last_name,email,active\n" << rows;
    }

    // The CLI with `env`, to its end.
    Output cli_with(std::vector<std::string> args, const Poco::Process::Env& env) {
        args.insert(args.begin(), {"--config", config().string()});
        return run_program(PEOPLESYNC_CLI, args, dir_, env);
    }

    // Starts `peoplesync run PIPELINE` and returns once its stderr has shown
    // `marker` (true), or once it ended without (false).
    bool start_run_until(const std::string& pipeline, const std::string& marker, Poco::Process::Env env) {
        env[hold_variable] = "60000";
        Poco::Pipe err;
        auto handle = Poco::Process::launch(PEOPLESYNC_CLI, {"--config", config().string(), "run", pipeline},
                                            dir_.string(), nullptr, nullptr, &err, env);
        cli_pid_ = handle.id();
        Poco::PipeInputStream lines(err);
        for (std::string line; std::getline(lines, line);) {
            stderr_ += line + "\n";
            if (line.find(marker) != std::string::npos) return true;
        }
        return false;
    }

    void kill_cli() {
        ASSERT_EQ(::kill(cli_pid_, SIGKILL), 0);
        ASSERT_EQ(::waitpid(cli_pid_, nullptr, 0), cli_pid_);
        cli_pid_ = 0;
    }

    json runs(const Poco::Process::Env& env = {}) {
        Output listed = cli_with({"runs", "export", "--json"}, env);
        EXPECT_EQ(listed.status, 0) << listed.err;
        return json::parse(listed.out, nullptr, false);
    }

    pid_t cli_pid_ = 0;
    std::string stderr_;
};

std::string export_pipeline(const std::string& sinks) {
    return "  - name: export\n    source: {type: csv, path: people.csv}\n    sinks:\n" + sinks;
}

TEST_F(DeadRunTest, ARunKilledWhileItReadsIsInterruptedAndAppliedNothing) {
    write_config(export_pipeline("      - {type: directory, database: var/export.db}\n"));
    ASSERT_EQ(cli({"enable", "export"}).status, 0);
    const auto fifo = dir_ / "people.csv";
    std::filesystem::remove(fifo);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto handle = Poco::Process::launch(PEOPLESYNC_CLI, {"--config", config().string(), "run", "export"}, dir_.string(),
                                        nullptr, nullptr, nullptr, Poco::Process::Env{});
    cli_pid_ = handle.id();
    // The FIFO opens for writing once the run has it open for reading: the
    // run is recorded then and blocked in its read.
    int writer = -1;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (writer < 0 && std::chrono::steady_clock::now() < until && alive(cli_pid_)) {
        writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (writer < 0) std::this_thread::sleep_for(10ms);
    }
    ASSERT_GE(writer, 0) << "the run never opened its source";
    EXPECT_EQ(runs()[0]["status"], "running") << "a run in progress is not taken for a dead one";
    kill_cli();
    ::close(writer);

    json listed = runs();
    ASSERT_EQ(listed.size(), 1u) << listed.dump(2);
    EXPECT_EQ(listed[0]["status"], "interrupted") << listed.dump(2);
    EXPECT_NE(listed[0]["message"].get<std::string>().find("nothing was applied"), std::string::npos) << listed.dump(2);
    Output simulated = cli({"simulate", "1"});
    EXPECT_EQ(simulated.status, 1);
    EXPECT_EQ(simulated.err.find("its source could not be read"), std::string::npos) << simulated.err;

    std::filesystem::remove(fifo);
    write_csv("1,Ada,Lovelace,ada@example.com,true\n2,Alan,Turing,alan@example.com,true\n");
    Output ran = cli({"run", "export", "--json"});
    ASSERT_EQ(ran.status, 0) << ran.err;
    EXPECT_EQ(json::parse(ran.out)["status"], "applied");
    EXPECT_EQ(json::parse(ran.out)["changes"]["created"], 2);
}

TEST_F(DeadRunTest, ARunKilledAfterTheDirectoryCommittedIsSettledAsApplied) {
    write_config(export_pipeline("      - {type: directory, database: var/export.db}\n"));
    ASSERT_EQ(cli({"enable", "export"}).status, 0);
    ASSERT_TRUE(start_run_until("export", hold_variable, {})) << stderr_;
    kill_cli();
    EXPECT_EQ(cli({"directory", "show", "ada@example.com"}).status, 0) << "the directory did not commit the run";

    // Settled by whoever looks next, without a daemon: applied, with what it can say.
    json listed = runs();
    ASSERT_EQ(listed.size(), 1u) << listed.dump(2);
    EXPECT_EQ(listed[0]["status"], "applied") << listed.dump(2);
    EXPECT_EQ(listed[0]["users"], 2);
    EXPECT_EQ(listed[0]["changes"]["created"], 2) << listed.dump(2);
    Output shown = cli({"show", "1", "--json"});
    ASSERT_EQ(shown.status, 0) << shown.err;
    json detail = json::parse(shown.out);
    EXPECT_FALSE(detail["snapshot"].get<std::string>().empty());
    EXPECT_EQ(detail["sinks"][0]["status"], "applied") << detail.dump(2);
    EXPECT_NE(detail["message"].get<std::string>().find("stopped"), std::string::npos) << detail.dump(2);

    // Its snapshot against the directory now: it holds the run's changes.
    Output simulated = cli({"simulate", "1", "--json"});
    ASSERT_EQ(simulated.status, 0) << simulated.err;
    EXPECT_EQ(json::parse(simulated.out)["users"], 2);
    EXPECT_EQ(json::parse(simulated.out)["changes"]["created"], 0) << simulated.out;

    // The next run reads everything (run 1's inputs were never recorded as
    // complete), finds nothing to change, and the one after may rely on it.
    Output next = cli({"run", "export", "--json"});
    ASSERT_EQ(next.status, 0) << next.err;
    json second = json::parse(next.out);
    EXPECT_EQ(second["status"], "noop") << next.out;
    EXPECT_FALSE(second.contains("unchanged_since_run")) << next.out;
    EXPECT_EQ(second["users"], 2);
    Output third = cli({"run", "export", "--json"});
    EXPECT_EQ(json::parse(third.out).value("unchanged_since_run", 0), second["run"]) << third.out;
}

TEST_F(DeadRunTest, TheDaemonSettlesAtItsStartARunACliLeftRunning) {
    write_config(export_pipeline("      - {type: directory, database: var/export.db}\n"));
    ASSERT_EQ(cli({"enable", "export"}).status, 0);
    ASSERT_TRUE(start_run_until("export", hold_variable, {})) << stderr_;
    kill_cli();
    start();
    json listed = admin("GET", "/runs?pipeline=export").parsed();
    ASSERT_EQ(listed.size(), 1u) << listed.dump(2);
    EXPECT_EQ(listed[0]["status"], "applied") << listed.dump(2);
    EXPECT_EQ(listed[0]["changes"]["created"], 2) << listed.dump(2);
    stop();
}

TEST_F(DeadRunTest, ARunKilledAfterItQueuedForAWebhookIsAppliedAndItsQueueWaitsForADeliverer) {
    std::uint16_t closed_port = 0;
    {
        Poco::Net::ServerSocket unused(Poco::Net::SocketAddress("127.0.0.1", 0));
        closed_port = unused.address().port();
    }
    write_config(export_pipeline("      - {type: webhook, url: 'http://127.0.0.1:" + std::to_string(closed_port) +
                                 "/hook/', api_key_env: DEAD_RUN_KEY}\n"));
    const Poco::Process::Env env = {{"DEAD_RUN_KEY", "0123456789abcdef"}};
    ASSERT_EQ(cli_with({"enable", "export"}, env).status, 0);
    ASSERT_TRUE(start_run_until("export", hold_variable, env)) << stderr_;
    kill_cli();

    Output outbox = cli_with({"outbox", "--json"}, env);
    ASSERT_EQ(outbox.status, 0) << outbox.err;
    json sink = json::parse(outbox.out)["sinks"][0];
    EXPECT_EQ(sink["pending"], 1) << outbox.out;
    EXPECT_EQ(sink["state"], "queued") << "no process delivers it: " << outbox.out;
    Output text = cli_with({"outbox"}, env);
    EXPECT_NE(text.out.find("peoplesync outbox deliver export"), std::string::npos) << text.out;

    json listed = runs(env);
    EXPECT_EQ(listed[0]["status"], "applied") << listed.dump(2);
    EXPECT_EQ(listed[0]["changes"]["created"], 2) << listed.dump(2);
}

}  // namespace
}  // namespace peoplesync::daemon_test
