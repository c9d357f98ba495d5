// The core pieces the daemon and the CLI share, without a daemon: the run
// locks and the request log.
#include "daemon_fixture.hpp"
#include "pipeline.hpp"
#include "plugin_host.hpp"
#include "request_log.hpp"
#include "run_lock.hpp"

namespace peoplesync::daemon_test {
namespace {

using core::RunLocks;

TEST_F(DaemonTest, TheCliDoesNotRunAPipelineAnotherProcessRuns) {
    std::ofstream(dir_ / "people.csv") << "hris_id,first_name,last_name,email,active\n1,A,B,a@example.com,true\n";
    write_config(
        "  - name: export\n    source: {type: csv, path: people.csv}\n"
        "    sinks: [{type: directory, database: var/export.db}]\n");
    RunLocks mine(dir_ / "var" / "state.db", "peoplesyncd (pid 1)");
    auto held = mine.try_lock("export");
    ASSERT_TRUE(held);
    Output refused = cli({"--local", "run", "export"});
    EXPECT_EQ(refused.status, 1);
    EXPECT_NE(refused.err.find("pipeline export is running in peoplesyncd (pid 1)"), std::string::npos) << refused.err;
    held.reset();
    Output ran = cli({"--local", "run", "export"});
    EXPECT_EQ(ran.status, 0) << ran.err;
}

TEST_F(DaemonTest, TheRequestLogKeepsBodiesAndStatuses) {
    core::RequestLog log(dir_ / "var" / "state.db");
    core::PushRequest request;
    request.pipeline = "hris";
    request.mode = "test";
    request.remote_address = "127.0.0.1";
    request.content_type = "application/json";
    const std::string body = read_text(dir_ / "webhook-data-example.json");
    request.size = static_cast<std::int64_t>(body.size());
    log.record(request, body);
    EXPECT_GT(request.id, 0);
    EXPECT_EQ(request.status, "received");
    EXPECT_EQ(log.body(request.id), body);
    ASSERT_EQ(log.pending().size(), 1u);

    request.status = "validated";
    request.users = 1;
    log.update(request);
    EXPECT_EQ(log.with_status("hris", "validated").size(), 1u);
    request.status = "simulated";
    request.run_id = 7;
    request.findings = core::findings_json({{Severity::warning, "users[0].manager", "no such manager", 0}});
    log.update(request);
    EXPECT_TRUE(log.pending().empty());
    auto again = log.get(request.id);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->run_id, 7);
    EXPECT_EQ(again->findings[0]["location"], "users[0].manager");
    Snapshot snapshot = core::pushed_snapshot(*again, log.body(request.id));
    EXPECT_EQ(snapshot.request_id, std::to_string(request.id));
    EXPECT_EQ(snapshot.users.at(0).email, "john.doe@7geese.com");
}

// What the daemon does to a run when it stops: the run ends before it
// applies anything and is recorded as interrupted.
class CancelAt final : public core::ProgressListener {
public:
    explicit CancelAt(std::string stage) : stage_(std::move(stage)) {}
    void stage(const std::string& name) override { seen_ = seen_ || name == stage_; }
    bool cancelled() override { return seen_; }

private:
    std::string stage_;
    bool seen_ = false;
};

TEST_F(DaemonTest, ACancelledRunAppliesNothingAndIsRecordedAsInterrupted) {
    std::ofstream(dir_ / "people.csv") << "hris_id,first_name,last_name,email,active\n1,A,B,a@example.com,true\n";
    write_config(
        "  - name: export\n    source: {type: csv, path: people.csv}\n"
        "    sinks: [{type: directory, database: var/export.db}]\n");
    core::Settings settings = core::load_settings(config());
    core::PluginHost plugins(settings.plugin_dirs);
    core::StateStore state(settings.state_database);
    core::Pipeline pipeline(settings, settings.pipeline("export"), plugins, state);
    pipeline.enable();
    CancelAt cancel("diff");  // seen before the diff: the next stage, apply, is never entered
    core::RunReport report = pipeline.run({}, cancel);
    EXPECT_EQ(report.status, core::RunStatus::interrupted);
    EXPECT_NE(report.message.find("nothing was applied"), std::string::npos) << report.message;
    EXPECT_EQ(state.run(report.run_id)->status, "interrupted");
    EXPECT_FALSE(pipeline.sink("directory").find_user("a@example.com"));
    CancelAt never("no such stage");
    EXPECT_EQ(pipeline.run({}, never).status, core::RunStatus::applied);
}

TEST_F(DaemonTest, OneDaemonPerStateDatabase) {
    start();
    Output second = run_program(PEOPLESYNCD, {"--config", config().string()}, dir_);
    EXPECT_EQ(second.status, 70);  // EX_SOFTWARE
    EXPECT_NE(log_text().find("another daemon, peoplesyncd (pid " + std::to_string(pid_) + ")"), std::string::npos)
        << log_text();
    EXPECT_EQ(get("/health").status, 200) << "the first daemon suffered";
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
