// Snapshot formats that only development builds wrote (records by hash,
// before blocks; no release reads them): a records file in that format is
// refused when the state store opens, saying to delete it; once deleted, the
// next snapshot is stored afresh, and a list of that format is a clear error.
#include <fstream>

#include <gtest/gtest.h>

#include "sqlite_statement.hpp"
#include "state_store.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

Snapshot two_people(const std::string& title) {
    Snapshot s;
    s.pipeline = "p";
    s.origin = "file org.csv";
    for (int i = 0; i < 2; ++i) {
        User u;
        u.hris_id = "W-" + std::to_string(i);
        u.email = "p" + std::to_string(i) + "@example.com";
        u.job_title = title;
        u.origin = "org.csv:" + std::to_string(i + 2);
        s.users.push_back(u);
    }
    return s;
}

void run_sql(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.string().c_str(), &db), SQLITE_OK);
    sqlite::execute(db, sql);
    ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

std::int64_t count(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(file.string().c_str(), &db);
    std::int64_t n = -1;
    {
        sqlite::SqliteStatement select(db, sql);
        if (select.next()) n = select.integer(0);
        select.next();
    }
    sqlite3_close(db);
    return n;
}

class SnapshotFormats : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("snapshot-formats");
        state_ = dir_ / "state.db";
        records_ = dir_ / "state.snapshots.db";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // The files as the builds of 29 November 2026 before blocks left them:
    // a list without places in the state database, its record by hash in the
    // records file.
    void write_records_by_hash() {
        run_sql(state_,
                "CREATE TABLE snapshot_lists (key TEXT PRIMARY KEY, pipeline TEXT NOT NULL, users INTEGER NOT NULL, "
                "stored_at TEXT NOT NULL, meta BLOB NOT NULL, records BLOB NOT NULL, origins BLOB NOT NULL);"
                "INSERT INTO snapshot_lists VALUES('0123456789abcdef0123456789abcdef', 'p', 1, "
                "'2026-11-29T08:50:00Z', x'00', zeroblob(16), x'00')");
        run_sql(records_,
                "CREATE TABLE snapshot_data (id INTEGER PRIMARY KEY, hash BLOB NOT NULL, data BLOB NOT NULL);"
                "INSERT INTO snapshot_data VALUES(1, zeroblob(16), x'00')");
    }

    std::filesystem::path dir_, state_, records_;
};

TEST_F(SnapshotFormats, ARecordsFileOfRecordsByHashIsRefusedSayingToDeleteIt) {
    write_records_by_hash();
    try {
        StateStore store(state_);
        FAIL() << "opened a records file in a format no release reads";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("snapshot records file " + records_.string()), std::string::npos) << message;
        EXPECT_NE(message.find("development build"), std::string::npos) << message;
        EXPECT_NE(message.find("delete it"), std::string::npos) << message;
    }
    // Refused, not changed.
    EXPECT_EQ(count(records_, "SELECT count(*) FROM snapshot_data"), 1);
}

TEST_F(SnapshotFormats, OnceDeletedTheNextSnapshotsAreStoredAfresh) {
    write_records_by_hash();
    std::filesystem::remove(records_);
    StateStore store(state_);
    try {
        store.load_snapshot("0123456789abcdef0123456789abcdef");
        FAIL() << "loaded a list without places";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("development build"), std::string::npos) << e.what();
    }
    const std::string first = store.store_snapshot(two_people("CEO"));
    const std::string second = store.store_snapshot(two_people("Chief"));
    EXPECT_EQ(store.load_snapshot(first).users[1].job_title, "CEO");
    EXPECT_EQ(store.load_snapshot(second).users[1].job_title, "Chief");
    EXPECT_EQ(count(records_, "SELECT COALESCE(SUM(records), 0) FROM snapshot_blocks"), 4);
}

TEST_F(SnapshotFormats, ARecordsFileThatIsNotADatabaseIsAClearError) {
    std::ofstream(records_) << "these are not the records you are looking for, nor a database header either\n";
    try {
        StateStore store(state_);
        FAIL() << "opened a records file that is not a database";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("snapshot records file " + records_.string()), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace peoplesync::core
