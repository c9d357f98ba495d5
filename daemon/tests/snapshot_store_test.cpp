// The content-addressed snapshot store in a real SQLite file: a snapshot
// comes back as it went in; an identical one stores nothing; a changed one
// stores only its changed records. (Formats no release wrote:
// snapshot_formats_test.cpp.)
#include <algorithm>
#include <cstring>

#include <gtest/gtest.h>

#include "hash.hpp"
#include "snapshot_store.hpp"
#include "sqlite_statement.hpp"
#include "state_store.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

Snapshot organisation(int people, const std::string& title) {
    Snapshot s;
    s.pipeline = "p";
    s.origin = "file org.csv";
    s.field_labels["email"] = "column \"Work Email\"";
    for (int i = 0; i < people; ++i) {
        User u;
        u.hris_id = "W-" + std::to_string(i);
        u.first_name = "Zoë";
        u.last_name = "Number " + std::to_string(i);
        u.email = "p" + std::to_string(i) + "@example.com";
        u.job_title = i == 0 ? title : "Engineer";
        u.departments = {"Engineering > Mobile", "Sales"};
        u.manager_hris_id = i == 0 ? "" : "W-0";
        u.active = i % 7 != 0;
        u.origin = "org.csv:" + std::to_string(i + 2);
        s.users.push_back(u);
    }
    s.findings.push_back({Severity::warning, "org.csv:3", "a warning", 1});
    return s;
}

class SnapshotStoreTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = testing::fresh_test_dir("snapshots"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    // Records in the records file's blocks.
    std::int64_t rows() {
        sqlite3* db = nullptr;
        sqlite3_open((dir_ / "state.snapshots.db").string().c_str(), &db);
        std::int64_t n = 0;
        {
            sqlite::SqliteStatement count(db, "SELECT COALESCE(SUM(records), 0) FROM snapshot_blocks");
            count.next();
            n = count.integer(0);
            count.next();
        }
        sqlite3_close(db);
        return n;
    }

    std::filesystem::path dir_;
};

void expect_same(const Snapshot& a, const Snapshot& b) {
    ASSERT_EQ(a.users.size(), b.users.size());
    for (std::size_t i = 0; i < a.users.size(); ++i) {
        EXPECT_EQ(a.users[i].hris_id, b.users[i].hris_id);
        EXPECT_EQ(a.users[i].last_name, b.users[i].last_name);
        EXPECT_EQ(a.users[i].job_title, b.users[i].job_title);
        EXPECT_EQ(a.users[i].departments, b.users[i].departments);
        EXPECT_EQ(a.users[i].manager_hris_id, b.users[i].manager_hris_id);
        EXPECT_EQ(a.users[i].active, b.users[i].active);
        EXPECT_EQ(a.users[i].origin, b.users[i].origin);
    }
    EXPECT_EQ(a.origin, b.origin);
    EXPECT_EQ(a.field_labels, b.field_labels);
    ASSERT_EQ(a.findings.size(), b.findings.size());
    EXPECT_EQ(a.findings[0].message, b.findings[0].message);
}

// A snapshot's key hashes its list, origins and metadata as one text
// without joining them (32 MB less for a million users); it is the hash of
// the joined text, wherever the parts are cut.
TEST(SnapshotKey, HashingPartsIsHashingThemJoined) {
    std::string text;
    for (int i = 0; i < 41; ++i) text += static_cast<char>('a' + i % 26) + std::string(i % 3, static_cast<char>(i));
    for (std::size_t a = 0; a <= text.size(); ++a)
        for (std::size_t b = a; b <= text.size(); b += 3) {
            const std::string_view all(text);
            EXPECT_EQ(hash_parts({all.substr(0, a), all.substr(a, b - a), all.substr(b)}), hash_bytes(text))
                << a << " " << b;
            // The rows files' checksum, in 64 bits, is the same.
            EXPECT_EQ(hash_parts64({all.substr(0, a), all.substr(a, b - a), all.substr(b)}), hash::bytes(text))
                << a << " " << b;
        }
    EXPECT_EQ(hash_parts({}), hash_bytes(""));
    EXPECT_EQ(hash_parts({"", "x", ""}), hash_bytes("x"));
    EXPECT_NE(hash_parts({"ab", "c"}), hash_bytes("abd"));
}

TEST_F(SnapshotStoreTest, ASnapshotComesBackAsItWentIn) {
    StateStore store(dir_ / "state.db");
    const Snapshot s = organisation(300, "CEO");
    expect_same(store.load_snapshot(store.store_snapshot(s)), s);
    expect_same(store.load_snapshot(store.store_snapshot_async(s).get().key), s);
}

TEST_F(SnapshotStoreTest, IdenticalStoresNothingAndAChangeStoresOnlyItsRecords) {
    StateStore store(dir_ / "state.db");
    const std::string first = store.store_snapshot(organisation(300, "CEO"));
    const std::int64_t stored = rows();
    EXPECT_EQ(stored, 300);
    EXPECT_EQ(store.store_snapshot(organisation(300, "CEO")), first);
    EXPECT_EQ(rows(), stored);
    const std::string second = store.store_snapshot(organisation(300, "Chief Executive"));
    EXPECT_NE(second, first);
    EXPECT_EQ(rows(), stored + 1);
    EXPECT_EQ(store.load_snapshot(second).users[0].job_title, "Chief Executive");
    EXPECT_EQ(store.load_snapshot(first).users[0].job_title, "CEO");
}

// The previous list is walked alongside the new one; records in another
// order, or with some gone and some new, are still found where they are.
TEST_F(SnapshotStoreTest, RecordsInAnotherOrderAreNotStoredAgain) {
    StateStore store(dir_ / "state.db");
    store.store_snapshot(organisation(300, "CEO"));
    EXPECT_EQ(rows(), 300);
    Snapshot shuffled = organisation(300, "CEO");
    std::vector<User> users = shuffled.users.to_vector();
    std::reverse(users.begin() + 100, users.end());
    users.erase(users.begin() + 10);
    shuffled.users = users;
    const std::string key = store.store_snapshot(shuffled);
    EXPECT_EQ(rows(), 300);
    shuffled.users.edit(5, [&](User& u) { u.job_title = "Archivist"; });
    shuffled.users.push_back(organisation(301, "CEO").users.back());
    const std::string changed = store.store_snapshot(shuffled);
    EXPECT_EQ(rows(), 302);
    expect_same(store.load_snapshot(changed), shuffled);
    EXPECT_NE(key, changed);
}

// Two pipelines' stores at once, each on its own connection: one waits for
// the other's records, and both land whole.
TEST_F(SnapshotStoreTest, TwoStoresAtOnceBothLand) {
    StateStore store(dir_ / "state.db");
    Snapshot a = organisation(20000, "CEO"), b = organisation(20000, "Chief");
    b.pipeline = "q";
    for (std::size_t i = 0; i < b.users.size(); ++i) b.users.edit(i, [](User& u) { u.last_name += " (q)"; });
    auto first = store.store_snapshot_async(a, StateStore::Sharing::read_while_running);
    auto second = store.store_snapshot_async(b, StateStore::Sharing::read_while_running);
    const std::string key_a = first.get().key, key_b = second.get().key;
    EXPECT_EQ(rows(), 40000);
    expect_same(store.load_snapshot(key_a), a);
    expect_same(store.load_snapshot(key_b), b);
}

// The state database restored without its records file: the previous list
// names records that are not there, so the next snapshot stores all of its
// own rather than trusting that list.
TEST_F(SnapshotStoreTest, ALostRecordsFileIsFilledAgainByTheNextSnapshot) {
    {
        StateStore store(dir_ / "state.db");
        store.store_snapshot(organisation(300, "CEO"));
    }
    std::filesystem::remove(dir_ / "state.snapshots.db");
    StateStore store(dir_ / "state.db");
    const Snapshot next = organisation(300, "Chief");
    const std::string key = store.store_snapshot(next);
    EXPECT_EQ(rows(), 300);
    expect_same(store.load_snapshot(key), next);
}

// A records file that cannot be opened is named in the error.
TEST_F(SnapshotStoreTest, ARecordsFileThatCannotBeOpenedIsNamed) {
    std::filesystem::create_directories(dir_ / "state.snapshots.db");  // a folder where the file goes
    try {
        StateStore store(dir_ / "state.db");
        FAIL() << "opened a state database without its records file";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("snapshot records file " + (dir_ / "state.snapshots.db").string()),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(SnapshotStoreTest, ALostRecordIsAClearError) {
    StateStore store(dir_ / "state.db");
    const std::string key = store.store_snapshot(organisation(5, "CEO"));
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "state.snapshots.db").string().c_str(), &db);
    sqlite::execute(db, "DELETE FROM snapshot_blocks WHERE id = (SELECT min(id) FROM snapshot_blocks)");
    sqlite3_close(db);
    try {
        store.load_snapshot(key);
        FAIL() << "loaded a snapshot with a record missing";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("lost a record of snapshot " + key), std::string::npos) << e.what();
    }
}

// A list whose places are damaged: loading it says so, and the next
// snapshot, which cannot be guided by it, stores its records again.
TEST_F(SnapshotStoreTest, DamagedPlacesAreAClearErrorAndDoNotStopTheNextSnapshot) {
    StateStore store(dir_ / "state.db");
    const std::string key = store.store_snapshot(organisation(5, "CEO"));
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "state.db").string().c_str(), &db);
    sqlite::execute(db, "UPDATE snapshot_lists SET places = x'0102030405'");
    sqlite3_close(db);
    try {
        store.load_snapshot(key);
        FAIL() << "loaded a snapshot whose places are damaged";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("snapshot " + key + " in the state database: "), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
    }
    const Snapshot next = organisation(5, "Chief");
    const std::string next_key = store.store_snapshot(next);
    EXPECT_EQ(rows(), 10);
    expect_same(store.load_snapshot(next_key), next);
}

// A change-only run's snapshot: the stored one's records where they did not
// change, in their new places and with their new origins, and the records
// read. It is the snapshot a full read would store, key and all.
TEST_F(SnapshotStoreTest, AComposedSnapshotIsTheWholeOne) {
    StateStore store(dir_ / "state.db");
    const Snapshot before = organisation(300, "CEO");
    const std::string first = store.store_snapshot(before);
    const std::int64_t stored = rows();

    // Record 0 changed and records 1 and 2 traded places; record 299 left.
    Snapshot after = organisation(300, "Chief Executive");
    std::vector<User> users = after.users.to_vector();
    std::swap(users[1], users[2]);
    users.pop_back();
    for (std::size_t i = 0; i < users.size(); ++i) users[i].origin = "org.csv:" + std::to_string(i + 2);
    after.users = users;
    std::vector<std::int64_t> from;
    std::vector<std::string> origins;
    Snapshot read = after;
    read.users = {after.users[0]};
    for (std::size_t i = 0; i < after.users.size(); ++i) {
        from.push_back(i == 0 ? -1 : i == 1 ? 2 : i == 2 ? 1 : static_cast<std::int64_t>(i));
        origins.emplace_back(after.users[i].origin);
    }
    const StoredList base = store.snapshot_list(first);
    const std::string key =
        store.store_encoded_async([&] { return compose_snapshot(read, base, from, origins); }).get().key;
    EXPECT_EQ(rows(), stored + 1);  // only the changed record is new
    expect_same(store.load_snapshot(key), after);
    EXPECT_EQ(store.store_snapshot(after), key);  // a full read stores nothing more

    // Bad compositions are refused before anything is stored.
    auto error_of = [&](std::vector<std::int64_t> bad_from, std::vector<std::string> bad_origins) -> std::string {
        try {
            compose_snapshot(read, base, bad_from, bad_origins);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_EQ(error_of(from, {"org.csv:2"}), "a composed snapshot needs every record's origin");
    std::vector<std::int64_t> outside = from;
    outside[5] = 300;
    EXPECT_EQ(error_of(outside, origins), "a composed snapshot names record 300 of a snapshot of 300");
    std::vector<std::int64_t> two_read = from;
    two_read[5] = -1;
    EXPECT_EQ(error_of(two_read, origins), "a composed snapshot reads 2 records, not 1");
}

TEST_F(SnapshotStoreTest, AComposedSnapshotWhoseStoredRecordsAreGoneIsRefused) {
    const Snapshot before = organisation(5, "CEO");
    StoredList base;
    {
        StateStore first_store(dir_ / "state.db");
        base = first_store.snapshot_list(first_store.store_snapshot(before));
    }
    // The records file lost while the daemon was stopped (Windows would not
    // let it be removed while it is open).
    std::filesystem::remove(dir_ / "state.snapshots.db");
    StateStore store(dir_ / "state.db");
    Snapshot read = before;
    read.users = {before.users[0]};
    std::vector<std::string> origins;
    for (const auto& user : before.users) origins.emplace_back(user.origin);
    try {
        store.store_encoded_async([&] { return compose_snapshot(read, base, {-1, 1, 2, 3, 4}, origins); }).get();
        FAIL() << "stored a snapshot whose records are gone";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("records of the snapshot this run started from are gone"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace peoplesync::core
