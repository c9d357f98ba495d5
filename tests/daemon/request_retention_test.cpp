// The daemon's requests.keep_bodies over HTTP: past the newest of a
// pipeline, a finished request keeps its row and loses its body; what needs
// no body (simulating a request that ran) still works, what does says why; a
// reload with a smaller number removes more and says how many.
#include <csignal>
#include <thread>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

std::string person(int n) {
    return R"({"users": [{"hris_id": "1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", )"
           R"("job_title": "Engineer )" +
           std::to_string(n) + R"(", "active": true}]})";
}

class RequestRetentionTest : public DaemonTest {
protected:
    void configure(int keep_bodies) {
        write_config();
        std::ofstream(config(), std::ios::app) << "requests: {keep_bodies: " << keep_bodies << "}\n";
    }

    // Pushes person(1) to person(n), each applied before the next; their request ids.
    std::vector<std::string> push_people(int n) {
        std::vector<std::string> ids;
        for (int i = 1; i <= n; ++i) {
            Answer sent = post_snapshot(person(i));
            EXPECT_EQ(sent.status, 202) << sent.body;
            ids.push_back(sent.parsed()["request_id"]);
            wait_for_request(ids.back(), {"applied"});
        }
        return ids;
    }

    std::size_t body_files() const {
        std::size_t n = 0;
        std::error_code ignored;
        for (const auto& entry : std::filesystem::directory_iterator(dir_ / "var" / "state.db.requests", ignored)) {
            (void)entry;
            ++n;
        }
        return n;
    }
};

TEST_F(RequestRetentionTest, OnlyTheNewestFinishedRequestsKeepTheirBodies) {
    configure(2);
    start();
    make_credentials();
    ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);

    Answer refused = post_snapshot("{\"users\": [{\"hris_id\": 1}");  // cut short: not JSON
    ASSERT_EQ(refused.status, 400) << refused.body;
    const std::string refused_id = refused.parsed()["request_id"];
    const std::vector<std::string> ids = push_people(3);
    EXPECT_EQ(body_files(), 2u);
    for (const std::string& id : {refused_id, ids[0]}) {
        const json gone = request_record(id);
        ASSERT_TRUE(gone.contains("body_removed_at")) << gone.dump(2);
        EXPECT_TRUE(gone["body_removed_at"].is_string());
    }
    EXPECT_FALSE(request_record(ids[1]).contains("body_removed_at"));
    EXPECT_EQ(request_record(ids[0])["status"], "applied");  // the row stays as it was

    // A request that ran is simulated from its run's snapshot: no body needed.
    EXPECT_EQ(admin("POST", "/requests/" + ids[0] + "/simulate").status, 200);
    // One refused before its run needs its body, and says it is gone.
    Answer simulated = admin("POST", "/requests/" + refused_id + "/simulate");
    EXPECT_NE(simulated.status, 200);
    EXPECT_NE(simulated.body.find("the body of request " + refused_id + " is no longer kept"), std::string::npos)
        << simulated.body;
    Output shown = cli({"request", refused_id});
    EXPECT_NE(shown.out.find("its body was removed"), std::string::npos) << shown.out << shown.err;

    // Keep one: a reload removes one more and says so.
    configure(1);
    signal(SIGHUP);
    for (int i = 0; i < 100 && body_files() != 1u; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(body_files(), 1u);
    EXPECT_TRUE(request_record(ids[1]).contains("body_removed_at"));
    EXPECT_FALSE(request_record(ids[2]).contains("body_removed_at"));
    for (int i = 0; i < 100 && log_text().find("removed 1 bodies") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_NE(log_text().find("requests: removed 1 bodies of finished requests"), std::string::npos) << log_text();
    stop();
}

// Past runs.keep_snapshots a run's snapshot is gone: simulating the run says
// so, and its request, whose body is still kept, is simulated from the body.
TEST_F(RequestRetentionTest, ARequestWhoseRunsSnapshotIsGoneIsSimulatedFromItsBody) {
    write_config();
    std::ofstream(config(), std::ios::app) << "runs: {keep_snapshots: 1}\n";
    start();
    make_credentials();
    ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
    const std::vector<std::string> ids = push_people(3);
    const std::string run_id = std::to_string(request_record(ids[0])["run"].get<std::int64_t>());
    Answer run = admin("POST", "/runs/" + run_id + "/simulate");
    EXPECT_NE(run.status, 200);
    EXPECT_NE(run.body.find("run " + run_id + "'s snapshot is no longer kept, so there is nothing to simulate"),
              std::string::npos)
        << run.body;
    Answer request = admin("POST", "/requests/" + ids[0] + "/simulate");
    ASSERT_EQ(request.status, 200) << request.body;
    // Against the directory as it is now: the job title goes back to the first.
    EXPECT_EQ(request.parsed()["status"], "simulated") << request.body;
    EXPECT_EQ(request.parsed()["changes"]["updated"], 1) << request.body;
    // The newest run's snapshot is kept.
    const std::string newest = std::to_string(request_record(ids[2])["run"].get<std::int64_t>());
    EXPECT_EQ(admin("POST", "/runs/" + newest + "/simulate").status, 200);
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
