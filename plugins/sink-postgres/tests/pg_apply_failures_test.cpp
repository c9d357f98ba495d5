// A run's apply as one transaction, through the built plugin: the server
// stopped (immediate shutdown) in the middle of a large load leaves the
// schema as it was and the next run applies; another apply holding the
// schema's lock is a clear error that names it, and nothing is written.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "connection.hpp"
#include "pg_sink_fixture.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

class PgApplyFailures : public PgSinkTest {
protected:
    void SetUp() override {
        PgSinkTest::SetUp();
        sink_ = make_sink();
    }

    // `count` people W-<first>... in Engineering, created by a run.
    static std::pair<Snapshot, ChangeSet> created(int first, int count) {
        std::vector<User> users;
        users.reserve(static_cast<std::size_t>(count));
        for (int i = first; i < first + count; ++i) {
            User u;
            u.hris_id = "W-" + std::to_string(i);
            u.email = "w" + std::to_string(i) + "@example.com";
            u.first_name = "First " + std::to_string(i);
            u.last_name = "Last";
            u.departments = {"Engineering"};
            users.push_back(std::move(u));
        }
        std::pair<Snapshot, ChangeSet> run;
        run.first.users = users;
        run.second.synced_fields = {"hris_id", "email", "first_name", "last_name", "departments"};
        for (int k = 0; k < count; ++k) run.second.created.push_back({k, static_cast<std::uint64_t>(k + 1), 0, -1});
        return run;
    }

    // Every table of the schema, as counts and the generation.
    std::string state(postgres::Connection& c) {
        return std::string(c.execute("SELECT (SELECT count(*) FROM peoplesync.users) || ' users, ' || "
                                     "(SELECT count(*) FROM peoplesync.memberships) || ' memberships, ' || "
                                     "(SELECT count(*) FROM peoplesync.departments) || ' departments, ' || "
                                     "(SELECT count(*) FROM peoplesync.audit_log) || ' audit rows, ' || "
                                     "(SELECT count(*) FROM peoplesync.audit_runs) || ' runs, generation ' || "
                                     "(SELECT value FROM peoplesync.directory_meta WHERE key = 'generation')")
                               .text(0, 0));
    }

    std::shared_ptr<Sink> sink_;
};

TEST_F(PgApplyFailures, TheServerStoppedMidLoadLeavesTheSchemaAsBeforeAndTheNextRunApplies) {
    auto [seed_snapshot, seed_changes] = created(0, 3);
    seed_changes.departments_created = {"Engineering"};
    sink_->apply(seed_snapshot, seed_changes, ApplyContext{1, "hr"});
    std::string before;
    {
        postgres::Connection c = connect();
        before = state(c);
    }
    EXPECT_EQ(before, "3 users, 3 memberships, 1 departments, 4 audit rows, 1 runs, generation 1");

    // Large enough that its COPY runs for a while; the server stops once
    // the run's rows are arriving.
    auto [snapshot, changes] = created(3, 300000);
    auto applying = std::async(std::launch::async, [&, &snapshot = snapshot, &changes = changes] {
        try {
            sink_->apply(snapshot, changes, ApplyContext{2, "hr"});
            return std::string();
        } catch (const Error& e) {
            return std::string(e.what());
        }
    });
    {
        postgres::Connection observer = connect();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        bool copying = false;
        while (!copying && std::chrono::steady_clock::now() < deadline &&
               applying.wait_for(std::chrono::milliseconds(5)) == std::future_status::timeout)
            copying = observer
                          .execute(
                              "SELECT 1 FROM pg_stat_activity WHERE application_name = 'peoplesync hr' AND "
                              "query LIKE 'COPY%users%'")
                          .rows() > 0;
        ASSERT_TRUE(copying) << "the run's COPY was never seen";
    }
    pg_server().stop_immediate();
    const std::string message = applying.get();
    EXPECT_NE(message.find("the run was rolled back, nothing changed"), std::string::npos) << message;
    EXPECT_NE(message.find("port " + std::to_string(pg_server().port())), std::string::npos) << message;

    pg_server().start();
    {
        postgres::Connection c = connect();
        EXPECT_EQ(state(c), before);
    }
    EXPECT_FALSE(dynamic_cast<RunLedger&>(*sink_).applied(2));
    sink_->apply(snapshot, changes, ApplyContext{3, "hr"});  // connects again
    postgres::Connection c = connect();
    EXPECT_EQ(state(c), "300003 users, 300003 memberships, 1 departments, 300004 audit rows, 2 runs, generation 2");
    EXPECT_EQ(c.execute("SELECT min(id), max(id) FROM peoplesync.users WHERE hris_id <> 'W-0' AND hris_id <> 'W-1' "
                        "AND hris_id <> 'W-2'")
                      .integer(0, 1) -
                  c.execute("SELECT min(id) FROM peoplesync.users WHERE hris_id = 'W-3'").integer(0, 0),
              299999)
        << "created users' ids are consecutive";
}

TEST_F(PgApplyFailures, AnotherApplyHoldingTheLockIsNamedAndNothingIsWritten) {
    sink_->apply(Snapshot{}, ChangeSet{}, ApplyContext{1, "hr"});  // makes the schema
    postgres::Connection other = connect();
    postgres::Transaction holding(other);
    postgres::begin_apply(other, "peoplesync", "hr-nightly");
    auto [snapshot, changes] = created(0, 10);
    changes.departments_created = {"Engineering"};
    try {
        sink_->apply(snapshot, changes, ApplyContext{2, "hr"});
        FAIL() << "applied while another apply held the schema's lock";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("schema peoplesync is busy: another apply holds its lock, application "
                               "\"test observer\" (pid " +
                               std::to_string(other.backend_pid())),
                  std::string::npos)
            << message;
        EXPECT_NE(message.find("the run was rolled back, nothing changed"), std::string::npos) << message;
    }
    holding.commit();
    postgres::Connection c = connect();
    EXPECT_EQ(state(c), "0 users, 0 memberships, 0 departments, 0 audit rows, 1 runs, generation 1");
    sink_->apply(snapshot, changes, ApplyContext{3, "hr"});
    EXPECT_EQ(state(c), "10 users, 10 memberships, 1 departments, 11 audit rows, 2 runs, generation 2");
}

}  // namespace
}  // namespace peoplesync::postgres_test
