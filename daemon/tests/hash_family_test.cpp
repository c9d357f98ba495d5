// Stored hashes name the hash family (hash.hpp) they were computed with, and
// one stored under another family is never taken as "unchanged": a hash
// equal to the current family's hash of other content must not stand for it.
// Each test writes a state as the current build does, then labels it with an
// earlier family and, where it matters, gives the hash other content.
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include "differ.hpp"
#include "hash.hpp"
#include "record_hash.hpp"
#include "sqlite_statement.hpp"
#include "state_store.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

static_assert(hash::family > 1, "these tests label states with the family before this one");
constexpr std::uint64_t earlier_family = hash::family - 1;

Snapshot three_people(const std::string& ceo_title) {
    Snapshot s;
    s.pipeline = "p";
    s.origin = "file org.csv";
    for (int i = 0; i < 3; ++i) {
        User u;
        u.hris_id = "W-" + std::to_string(i);
        u.email = "p" + std::to_string(i) + "@example.com";
        u.job_title = i == 0 ? ceo_title : "Engineer";
        u.origin = "org.csv:" + std::to_string(i + 2);
        s.users.push_back(u);
    }
    return s;
}

// Family 2 is XXH3: its published value for no bytes. Should this change,
// raise hash::family and sync_hash_family.
TEST(HashFamily, IsXxh3) {
    EXPECT_EQ(hash::family, 2u);
    EXPECT_EQ(hash::bytes(""), 0x2D06800538D394C2ull);
    EXPECT_EQ(hash::parts({"", "", ""}), hash::bytes(""));
    EXPECT_EQ(hash::folded("Ada@Example.COM"), hash::folded("ada@example.com"));
    EXPECT_EQ(hash::folded(std::string(200, 'A')), hash::folded(std::string(200, 'a')));
    EXPECT_NE(hash::folded(std::string(200, 'a')), hash::folded(std::string(201, 'a')));
    EXPECT_NE(hash::combine(hash::combine(0, "ab"), "c"), hash::combine(hash::combine(0, "a"), "bc"));
}

class HashFamilyTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = testing::fresh_test_dir("hash-family"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Opens the state database with the records file attached.
    sqlite3* open_state() {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open((dir_ / "state.db").string().c_str(), &db), SQLITE_OK);
        sqlite::execute(db, "ATTACH DATABASE '" + (dir_ / "state.snapshots.db").string() + "' AS records");
        return db;
    }

    std::filesystem::path dir_;
};

// A list of an earlier family is no guide to where a record is stored: its
// hash may stand for other bytes. Here the stored "CEO" record's bytes say
// "COO", as if the earlier family had given them the hash the current one
// gives "CEO"; the next snapshot holding "CEO" stores it afresh.
TEST_F(HashFamilyTest, ASnapshotListOfAnEarlierFamilyIsNoGuide) {
    {
        StateStore store(dir_ / "state.db");
        store.store_snapshot(three_people("CEO"));
    }
    sqlite3* db = open_state();
    sqlite::execute(db, "UPDATE snapshot_lists SET hash_family = " + std::to_string(earlier_family));
    {
        sqlite::SqliteStatement select(db, "SELECT id, data FROM records.snapshot_blocks");
        ASSERT_TRUE(select.next());
        const std::int64_t id = select.integer(0);
        std::string data(select.blob(1));
        select.next();
        const auto at = data.find("CEO");
        ASSERT_NE(at, std::string::npos);
        data.replace(at, 3, "COO");
        sqlite::SqliteStatement(db, "UPDATE records.snapshot_blocks SET data = ? WHERE id = ?")
            .bind_blob(1, data)
            .bind(2, id)
            .run();
    }
    sqlite3_close(db);

    StateStore store(dir_ / "state.db");
    Snapshot again = three_people("CEO");
    again.request_id = "another run";  // another key: not the same snapshot
    const std::string key = store.store_snapshot(again);
    EXPECT_EQ(store.load_snapshot(key).users[0].job_title, "CEO");
    StoredList list = store.snapshot_list(key);
    EXPECT_EQ(list.hash_family, hash::family);
}

// The rows cache (record and email hashes of the last clean run) names its
// family; a file of an earlier one is read as missing: the next run reads
// every record, as a first run does.
TEST_F(HashFamilyTest, RowsOfAnEarlierFamilyAreReadAsMissing) {
    StateStore store(dir_ / "state.db");
    const auto rows_of = [](std::int64_t run_id) {
        return [run_id] {
            RunRows rows;
            rows.run_id = run_id;
            rows.add(hash::bytes("W-1,Ada"), "W-1", "", hash::folded("ada@example.com"));
            rows.add(hash::bytes("W-2,Bo"), "W-2", "W-1", hash::folded("bo@example.com"));
            return rows;
        };
    };
    store.store_run_rows_async("p", rows_of(7), {}).get();
    ASSERT_TRUE(store.run_rows("p", 7).has_value());
    ASSERT_EQ(store.run_rows("p", 7)->hash(1), hash::bytes("W-2,Bo"));

    // The same file, whole and checksummed, labelled with the earlier family.
    std::filesystem::path file;
    for (const auto& entry : std::filesystem::directory_iterator(run_rows_folder(dir_ / "state.db")))
        file = entry.path();
    std::string bytes(std::filesystem::file_size(file), '\0');
    {
        std::ifstream in(file, std::ios::binary);
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    const std::size_t family_at = 8;  // after the magic
    ASSERT_GT(bytes.size(), family_at + 16);
    std::uint64_t family = 0;
    std::memcpy(&family, bytes.data() + family_at, sizeof family);
    ASSERT_EQ(family, hash::family);
    std::memcpy(bytes.data() + family_at, &earlier_family, sizeof earlier_family);
    const std::uint64_t checksum = hash_parts64({std::string_view(bytes).substr(0, bytes.size() - 8)});
    std::memcpy(bytes.data() + bytes.size() - 8, &checksum, sizeof checksum);
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    EXPECT_FALSE(store.run_rows("p", 7).has_value());
}

// A destination's sync hashes of an earlier family are not "nothing to
// compare", even where one equals the current family's hash of the values:
// each synced user's record is fetched and compared, and what differs is
// changed.
TEST(SyncHashFamily, HashesOfAnEarlierFamilyAreComparedWhole) {
    SyncPolicy policy;
    policy.fields = {"hris_id", "first_name", "last_name", "email", "active", "job_title"};
    User now;
    now.hris_id = "W-1";
    now.email = "w1@example.com";
    now.first_name = "Ada";
    now.last_name = "Lovelace";
    now.job_title = "CTO";
    Snapshot snapshot;
    snapshot.users.push_back(now);
    DestinationIndex index;
    index.users = {{100, "W-1", "w1@example.com", true, true, SyncHasher(policy)(now, "")}};
    std::size_t fetched = 0;
    auto fetch = [&](std::span<const std::int64_t> ids) {
        fetched += ids.size();
        DestinationRecord record;
        record.id = 100;
        record.user = now;
        record.user.job_title = "Engineer";  // what the directory holds
        return std::vector<DestinationRecord>{record};
    };

    index.sync_hash_family = sync_hash_family;
    const DiffResult trusted = diff(snapshot, std::vector<char>(1, 0), policy, index, fetch);
    EXPECT_EQ(fetched, 0u);
    EXPECT_TRUE(trusted.changes.users.empty());

    index.sync_hash_family = sync_hash_family - 1;
    const DiffResult compared = diff(snapshot, std::vector<char>(1, 0), policy, index, fetch);
    EXPECT_EQ(fetched, 1u);
    ASSERT_EQ(compared.changes.users.size(), 1u);
    const UserChange& change = compared.changes.users[0];
    ASSERT_EQ(change.fields.size(), 1u);
    EXPECT_EQ(change.fields[0].field, "job_title");
    EXPECT_EQ(change.fields[0].new_value, "CTO");
    EXPECT_EQ(change.sync_hash, SyncHasher(policy)(now, ""));
}

}  // namespace
}  // namespace peoplesync::core
