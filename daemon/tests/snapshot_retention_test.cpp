// Which runs' snapshots the state store keeps (StateStore::keep_snapshots),
// in real SQLite files: the newest runs' within the retention, the one the
// next run builds on, a running run's and the newest blocked run's; the
// others go, with the blocks of records only they held, and every snapshot
// kept still reads whole.
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include "snapshot_store.hpp"
#include "sqlite_statement.hpp"
#include "state_store.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

// An organisation of `people` whose every record names `generation`, so
// each generation's records are all new.
Snapshot generation(int number, int people = 400, const std::string& first_title = "") {
    Snapshot s;
    s.pipeline = "people";
    s.origin = "file org.csv";
    for (int i = 0; i < people; ++i) {
        User u;
        u.hris_id = "W-" + std::to_string(i);
        u.first_name = "Person";
        u.last_name = "Number " + std::to_string(i);
        u.email = "p" + std::to_string(i) + "@example.com";
        u.job_title = i == 0 && !first_title.empty() ? first_title : "Engineer of generation " + std::to_string(number);
        u.departments = {"Engineering"};
        u.origin = "org.csv:" + std::to_string(i + 2);
        s.users.push_back(u);
    }
    return s;
}

class SnapshotRetentionTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("snapshot-retention");
        store_ = std::make_unique<StateStore>(dir_ / "state.db");
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    // A finished run of pipeline "people" that stored generation `number`.
    std::int64_t run(int number, const std::string& status = "applied", bool leaves_inputs = false) {
        return run_of(generation(number), status, leaves_inputs);
    }
    std::int64_t run_of(const Snapshot& snapshot, const std::string& status = "applied", bool leaves_inputs = false) {
        RunRecord record;
        record.pipeline = "people";
        record.trigger = "test";
        record.mode = "live";
        record.fingerprint = "f";
        store_->begin_run(record);
        record.snapshot_key = store_->store_snapshot(snapshot);
        record.status = status;
        keys_[record.id] = record.snapshot_key;
        if (status == "running") {  // as a run's snapshot is named while it runs
            sql("UPDATE runs SET snapshot_key = '" + record.snapshot_key + "' WHERE id = " + std::to_string(record.id));
            return record.id;
        }
        RunInputs inputs;
        inputs.fingerprint = "f";
        inputs.digest = "d";
        inputs.run_id = record.id;
        inputs.snapshot_key = record.snapshot_key;
        store_->finish_run(record, leaves_inputs ? &inputs : nullptr);
        return record.id;
    }

    bool kept(std::int64_t run_id) { return store_->holds_snapshot(keys_.at(run_id)); }

    std::int64_t number(const std::string& query, const std::filesystem::path& file) {
        sqlite3* db = nullptr;
        sqlite3_open(file.string().c_str(), &db);
        std::int64_t n = 0;
        {
            sqlite::SqliteStatement select(db, query);
            if (select.next()) {
                n = select.integer(0);
                select.next();
            }
        }
        sqlite3_close(db);
        return n;
    }
    // Records the records file holds, in all its blocks.
    std::int64_t records() {
        return number("SELECT COALESCE(SUM(records), 0) FROM snapshot_blocks", dir_ / "state.snapshots.db");
    }
    void sql(const std::string& statement) {
        sqlite3* db = nullptr;
        sqlite3_open((dir_ / "state.db").string().c_str(), &db);
        sqlite::execute(db, statement);
        sqlite3_close(db);
    }

    std::filesystem::path dir_;
    std::unique_ptr<StateStore> store_;
    std::map<std::int64_t, std::string> keys_;
};

void expect_generation(const Snapshot& s, int number) {
    const Snapshot expected = generation(number);
    ASSERT_EQ(s.users.size(), expected.users.size());
    for (std::size_t i = 0; i < s.users.size(); ++i) {
        EXPECT_EQ(s.users[i].hris_id, expected.users[i].hris_id);
        EXPECT_EQ(s.users[i].job_title, expected.users[i].job_title);
        EXPECT_EQ(s.users[i].origin, expected.users[i].origin);
    }
}

TEST_F(SnapshotRetentionTest, TheNewestRunsKeepTheirSnapshotsAndTheOthersGoWithTheirRecords) {
    std::vector<std::int64_t> runs;
    for (int g = 1; g <= 6; ++g) runs.push_back(run(g));
    EXPECT_EQ(records(), 6 * 400);

    const auto removed = store_->keep_snapshots("people", {2, 0});
    EXPECT_EQ(removed.snapshots, 4u);
    EXPECT_GT(removed.blocks, 0u);
    for (int g = 1; g <= 6; ++g) EXPECT_EQ(kept(runs[g - 1]), g >= 5) << "generation " << g;
    // Only the kept snapshots' records are left, and they read whole.
    EXPECT_EQ(records(), 2 * 400);
    expect_generation(store_->load_snapshot(keys_[runs[4]]), 5);
    expect_generation(store_->load_snapshot(keys_[runs[5]]), 6);
    // The runs stay listed.
    EXPECT_EQ(store_->runs("people", 100).size(), 6u);
    // Nothing more goes the next time, and a later snapshot still stores.
    EXPECT_EQ(store_->keep_snapshots("people", {2, 0}).snapshots, 0u);
    expect_generation(store_->load_snapshot(keys_[run(7)]), 7);
}

TEST_F(SnapshotRetentionTest, RecordsAKeptSnapshotSharesStay) {
    // Most records are the same from one run to the next: they are stored
    // once, in the first run's blocks, which the newest snapshot still needs.
    std::vector<std::string> keys;
    for (const std::string title : {"A", "B", "C", "D"}) keys.push_back(keys_[run_of(generation(1, 400, title))]);
    EXPECT_EQ(store_->keep_snapshots("people", {1, 0}).snapshots, 3u);
    const Snapshot last = store_->load_snapshot(keys.back());
    ASSERT_EQ(last.users.size(), 400u);
    EXPECT_EQ(last.users[0].job_title, "D");
    EXPECT_EQ(last.users[399].job_title, "Engineer of generation 1");
}

TEST_F(SnapshotRetentionTest, WhatTheNextRunBuildsOnARunningRunAndTheNewestBlockedRunAreKept) {
    const std::int64_t base = run(1, "applied", true);  // run_inputs names it
    const std::int64_t old_blocked = run(2, "blocked");
    const std::int64_t blocked = run(3, "blocked");
    const std::int64_t running = run(4, "running");
    const std::int64_t plain = run(5);
    std::vector<std::int64_t> newest;
    for (int g = 6; g <= 8; ++g) newest.push_back(run(g));

    store_->keep_snapshots("people", {3, 0});
    EXPECT_TRUE(kept(base));
    EXPECT_FALSE(kept(old_blocked));
    EXPECT_TRUE(kept(blocked));
    EXPECT_TRUE(kept(running));
    EXPECT_FALSE(kept(plain));
    for (const std::int64_t id : newest) EXPECT_TRUE(kept(id));
    expect_generation(store_->load_snapshot(keys_[base]), 1);

    // Once approved, a blocked run is no longer waiting.
    store_->mark_approved(blocked, newest.back());
    store_->keep_snapshots("people", {3, 0});
    EXPECT_FALSE(kept(blocked));
}

TEST_F(SnapshotRetentionTest, DaysLimitTheNewestRunsAndZeroMeansNoLimit) {
    std::vector<std::int64_t> runs;
    for (int g = 1; g <= 4; ++g) runs.push_back(run(g));
    sql("UPDATE runs SET started_at = '2026-01-01T00:00:00.000000Z' WHERE id <= " + std::to_string(runs[1]));

    EXPECT_EQ(store_->keep_snapshots("people", {0, 0}).snapshots, 0u);
    for (const std::int64_t id : runs) EXPECT_TRUE(kept(id));

    EXPECT_EQ(store_->keep_snapshots("people", {100, 30}).snapshots, 2u);
    EXPECT_FALSE(kept(runs[0]));
    EXPECT_FALSE(kept(runs[1]));
    EXPECT_TRUE(kept(runs[2]));
    EXPECT_TRUE(kept(runs[3]));
}

TEST_F(SnapshotRetentionTest, AnotherPipelinesSnapshotsAreLeftAlone) {
    const std::int64_t ours = run(1);
    run(2);
    Snapshot theirs = generation(1);
    theirs.pipeline = "others";
    const std::string key = store_->store_snapshot(theirs);
    store_->keep_snapshots("people", {1, 0});
    EXPECT_FALSE(kept(ours));
    EXPECT_TRUE(store_->holds_snapshot(key));
    // Its records are its own, even where they are the same bytes.
    expect_generation(store_->load_snapshot(key), 1);
}

// Lists stored before the blocks of each were recorded (state schema 6):
// removing them finds their blocks from their places.
TEST_F(SnapshotRetentionTest, ListsStoredBeforeTheirBlocksWereRecordedAreRemovedAsWell) {
    std::vector<std::int64_t> runs;
    for (int g = 1; g <= 3; ++g) runs.push_back(run(g));
    sql("DELETE FROM snapshot_list_blocks");
    EXPECT_EQ(store_->keep_snapshots("people", {1, 0}).snapshots, 2u);
    EXPECT_EQ(records(), 400);
    expect_generation(store_->load_snapshot(keys_[runs[2]]), 3);
}

// A list whose places are damaged goes; the blocks stay, since which it held
// cannot be told; the snapshots kept still read.
TEST_F(SnapshotRetentionTest, ADamagedListIsRemovedAndItsBlocksStay) {
    std::vector<std::int64_t> runs;
    for (int g = 1; g <= 3; ++g) runs.push_back(run(g));
    sql("DELETE FROM snapshot_list_blocks WHERE key = '" + keys_[runs[0]] + "'");
    sql("UPDATE snapshot_lists SET places = x'00ff00' WHERE key = '" + keys_[runs[0]] + "'");
    EXPECT_EQ(store_->keep_snapshots("people", {1, 0}).snapshots, 2u);
    EXPECT_EQ(records(), 2 * 400);  // generation 1's blocks stay; generation 2's go
    expect_generation(store_->load_snapshot(keys_[runs[2]]), 3);
}

}  // namespace
}  // namespace peoplesync::core
