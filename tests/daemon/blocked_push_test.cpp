// A blocked push: the deletion guard's advice for a pipeline whose snapshots
// are pushed names what works (approve), and `run --force`, which cannot
// work there, exits alike through the daemon and with --local.
#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

// The guard blocks an empty snapshot pushed to a live webhook pipeline; what
// it advises works, and --force, which cannot, is refused alike through the
// daemon and here.
TEST_F(DaemonTest, ABlockedPushSaysToApproveAndRunForceIsRefusedAlikeEitherWay) {
    start();
    make_credentials();
    ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
    Answer first = post_snapshot(read_text(dir_ / "webhook-data-example.json"));
    wait_for_request(first.parsed()["request_id"], {"applied"});

    Answer empty = post_snapshot(R"({"users": []})");
    ASSERT_EQ(empty.status, 202) << empty.body;
    json blocked = wait_for_request(empty.parsed()["request_id"], {"blocked"});
    const std::string run = std::to_string(blocked["run"].get<std::int64_t>());
    const std::string message = blocked["message"];
    EXPECT_NE(message.find("peoplesync approve " + run), std::string::npos) << message;
    EXPECT_EQ(message.find("--force"), std::string::npos) << message;

    Output through_daemon = cli({"run", "hris", "--force"});
    Output here = cli({"--local", "run", "hris", "--force"});
    EXPECT_EQ(through_daemon.status, here.status) << through_daemon.err << here.err;
    EXPECT_EQ(here.status, 2) << here.err;
    EXPECT_NE(through_daemon.err.find("peoplesync approve"), std::string::npos) << through_daemon.err;
    EXPECT_NE(here.err.find("peoplesync approve"), std::string::npos) << here.err;

    Output approved = cli({"approve", run, "--json"});
    ASSERT_EQ(approved.status, 0) << approved.err;
    EXPECT_EQ(json::parse(approved.out)["status"], "applied");
    EXPECT_EQ(json::parse(approved.out)["changes"]["unsynced"], 1);
}

}  // namespace
}  // namespace peoplesync::daemon_test
