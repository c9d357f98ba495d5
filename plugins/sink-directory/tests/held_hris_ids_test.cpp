// HeldUsers::held_hris_ids of the directory: which of some hris_ids it holds,
// asked from the daemon's HTTP threads while the sink's own connection may be
// in a run.
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <peoplesync/plugin.hpp>

#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync {
namespace {

using namespace Poco::Data::Keywords;

class DirectoryHeldIdsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-held-ids");
        host_ = std::make_unique<testing::TestHost>(dir_);
        // No waiting for a lock: a test that would wait fails at once instead.
        configure("database: directory.db\nbusy_timeout_ms: 0\n");
    }
    void configure(const std::string& yaml) {
        sink_ = testing::built_plugins().make_sink("directory", core::parse_config_text(yaml, "sink.yaml"), *host_);
    }
    void TearDown() override {
        sink_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Creates users with these hris_ids, as a run would.
    void create(const std::vector<std::string>& hris_ids) {
        const auto run = testing::creating_run(hris_ids);
        sink_->apply(run.snapshot, run.changes, ApplyContext{1, "test"});
    }

    std::set<std::string> held(const std::vector<std::string>& asked) {
        const auto found = dynamic_cast<HeldUsers&>(*sink_).held_hris_ids(asked);
        return std::set<std::string>(found.begin(), found.end());
    }

    std::filesystem::path dir_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(DirectoryHeldIdsTest, BeforeTheFirstRunItHoldsNobodyAndCreatesNothing) {
    EXPECT_TRUE(held({"A", "B"}).empty());
    EXPECT_FALSE(std::filesystem::exists(dir_ / "directory.db"));
}

TEST_F(DirectoryHeldIdsTest, ItNamesThoseItHoldsSyncedOrNot) {
    create({"A", "B", "Zoë \"7\""});
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session db("SQLite", (dir_ / "directory.db").string());
    db << "UPDATE users SET synced = 0 WHERE hris_id = 'B'", now;
    EXPECT_EQ(held({"A", "B", "nobody", "A", "Zoë \"7\"", ""}), (std::set<std::string>{"A", "B", "Zoë \"7\""}));
    EXPECT_TRUE(held({}).empty());
}

TEST_F(DirectoryHeldIdsTest, AWriterInTheMiddleOfItsTransactionKeepsNobodyWaiting) {
    create({"A"});
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session writer("SQLite", (dir_ / "directory.db").string());
    writer << "BEGIN IMMEDIATE", now;
    writer << "INSERT INTO users(hris_id, email) VALUES('D', 'd@example.com')", now;
    // As committed: A, not yet D; and at once, though the sink waits for no lock (busy_timeout_ms: 0).
    EXPECT_EQ(held({"A", "D"}), std::set<std::string>{"A"});
    writer << "COMMIT", now;
    EXPECT_EQ(held({"A", "D"}), (std::set<std::string>{"A", "D"}));
}

// Each call, and the checkpoint after each run, opens a connection of its own
// and closes it again. Closing one must not make another, starting its read
// that moment, fail at once: the HTTP threads ask while runs apply.
// On Windows, SQLite begins every read by taking the file's PENDING byte for
// a moment (os_win.c, winLock), so two readers starting together collide and
// one waits for the other: there, with the default busy timeout, nobody fails.
TEST_F(DirectoryHeldIdsTest, RunsAndManyAskingAtOnceKeepNobodyWaiting) {
#if defined(_WIN32)
    configure("database: directory.db\n");
#endif
    create({"A"});
    std::atomic<bool> running{true};
    std::atomic<int> asked{0};
    std::mutex failure_mutex;
    std::vector<std::string> failures;
    auto failed = [&](const std::string& what) {
        std::lock_guard lock(failure_mutex);
        failures.push_back(what);
    };
    auto ask = [&] {
        while (running) {
            try {
                if (held({"A"}) != std::set<std::string>{"A"}) failed("A is not held");
            } catch (const std::exception& e) {
                failed(e.what());
            }
            ++asked;
        }
    };
    std::vector<std::thread> askers;
    for (int t = 0; t < 3; ++t) askers.emplace_back(ask);
    for (int run = 0; run < 60; ++run) {
        try {
            create({"U" + std::to_string(run)});
        } catch (const std::exception& e) {
            failed(std::string("run: ") + e.what());
        }
    }
    running = false;
    for (auto& asker : askers) asker.join();
    EXPECT_GT(asked.load(), 0);
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed, the first: " << failures.front();
}

}  // namespace
}  // namespace peoplesync
