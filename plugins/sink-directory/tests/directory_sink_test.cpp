// The directory sink on its own: opening databases, its edit operation and
// the bad inputs it must refuse without losing anything.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <peoplesync/change_only.hpp>

#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync {
namespace {

using namespace Poco::Data::Keywords;

// The directory's index of some users (a capability beside Sink).
ChangeOnlyApplier& applier(Sink& sink) {
    return dynamic_cast<ChangeOnlyApplier&>(sink);
}

class DirectorySinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-directory");
        host_ = std::make_unique<testing::TestHost>(dir_);
    }
    void TearDown() override {
        sink_.reset();
        std::filesystem::remove_all(dir_);
    }

    Sink& sink(const std::string& yaml = "database: directory.db\n") {
        sink_ = testing::built_plugins().make_sink("directory", core::parse_config_text(yaml, "sink.yaml"), *host_);
        return *sink_;
    }

    // Applies a snapshot of `users` as created users, the way the pipeline would.
    void seed(Sink& s, const std::vector<User>& users, std::vector<std::string> fields) {
        Snapshot snapshot;
        snapshot.users = users;
        ChangeSet changes;
        changes.synced_fields = std::move(fields);
        for (std::size_t i = 0; i < users.size(); ++i) {
            CreatedUser c;
            c.snapshot_index = static_cast<std::int64_t>(i);
            c.sync_hash = 42;
            changes.created.push_back(c);
        }
        s.apply(snapshot, changes, ApplyContext{1, "test"});
    }

    static User user(const std::string& id, const std::string& email) {
        User u;
        u.hris_id = id;
        u.email = email;
        u.first_name = "F" + id;
        u.last_name = "L" + id;
        u.job_title = "Engineer";
        return u;
    }

    std::string error_of(const std::function<void()>& action) {
        try {
            action();
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }

    std::filesystem::path dir_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Sink> sink_;
};

const std::vector<std::string> core_fields = {"hris_id", "email", "first_name", "last_name", "active"};

TEST_F(DirectorySinkTest, CreatesTheDatabaseAndItsFolderOnFirstUse) {
    Sink& s = sink("database: nested/folder/directory.db\n");
    EXPECT_FALSE(std::filesystem::exists(dir_ / "nested"));  // constructing does no I/O
    EXPECT_TRUE(s.load_index().users.empty());
    EXPECT_TRUE(std::filesystem::exists(dir_ / "nested/folder/directory.db"));
}

TEST_F(DirectorySinkTest, RefusesAnEmptyPath) {
    EXPECT_EQ(error_of([&] { sink("database: ''\n"); }), "sink.yaml:1:11: database: the database path is empty");
}

TEST_F(DirectorySinkTest, AFileThatIsNotADatabaseIsAClearErrorAndIsLeftAlone) {
    std::ofstream(dir_ / "directory.db") << "these are somebody's notes, not a database\n";
    std::string message = error_of([&] { sink().load_index(); });
    EXPECT_NE(message.find("directory " + (dir_ / "directory.db").string() + ": cannot open the database"),
              std::string::npos)
        << message;
    std::ifstream in(dir_ / "directory.db");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "these are somebody's notes, not a database");
}

TEST_F(DirectorySinkTest, AnUnwritableLocationIsAClearError) {
    std::ofstream(dir_ / "file") << "x";
    std::string message = error_of([&] { sink("database: file/directory.db\n").load_index(); });
    EXPECT_NE(message.find("directory " + (dir_ / "file" / "directory.db").string()), std::string::npos) << message;
}

TEST_F(DirectorySinkTest, FindsUsersByHrisIdOrEmailIgnoringCase) {
    Sink& s = sink();
    seed(s, {user("A1", "Ann@Example.com")}, core_fields);
    ASSERT_TRUE(s.find_user("A1"));
    ASSERT_TRUE(s.find_user("ann@example.COM"));
    EXPECT_EQ(s.find_user("ann@example.COM")->user.hris_id, "A1");
    EXPECT_FALSE(s.find_user("nobody@example.com"));
}

TEST_F(DirectorySinkTest, AnIndexOfSomeUsersHasThemTheUnsyncedAndTheCounts) {
    Sink& s = sink();
    seed(s, {user("A", "a@example.com"), user("B", "b@example.com"), user("C", "c@example.com")}, core_fields);
    // C leaves the sync; a user the directory made has no hris_id.
    ChangeSet leave;
    UserChange change;
    change.destination_id = s.find_user("C")->id;
    change.hris_id = change.previous_hris_id = "C";
    change.unsynced = true;
    leave.users.push_back(change);
    leave.departments_created = {"Eng"};
    s.apply(Snapshot{}, leave, ApplyContext{2, "test"});
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session db("SQLite", (dir_ / "directory.db").string());
    db << "INSERT INTO users(hris_id, email) VALUES(NULL, 'own@example.com')", now;

    const std::vector<std::string> asked = {"B", "nobody", "B", "C"};
    const auto index = applier(s).load_index_for(asked);
    ASSERT_TRUE(index.has_value());
    std::set<std::string> emails;
    for (const auto& u : index->users) emails.insert(u.email);
    // B as asked (once), C and the directory's own user as not synced; not A.
    EXPECT_EQ(emails, (std::set<std::string>{"b@example.com", "c@example.com", "own@example.com"}));
    EXPECT_EQ(index->users.size(), 3u);
    EXPECT_EQ(index->synced_users, 2);  // A and B
    ASSERT_EQ(index->departments.size(), 1u);
    EXPECT_EQ(index->departments[0].name, "Eng");
    EXPECT_EQ(s.load_index().synced_users, -1);  // the whole index counts for itself
    EXPECT_EQ(applier(s).load_index_for({})->users.size(), 2u);
}

// The ids asked for go to SQLite as one JSON list: ids with quotes,
// backslashes, control characters or non-ASCII letters are found as they are,
// and nothing else is.
TEST_F(DirectorySinkTest, AnIndexOfSomeUsersFindsIdsOfAnyText) {
    Sink& s = sink();
    const std::vector<std::string> odd = {"Q\"1", "back\\slash", "tab\there", "line\nfeed", "Zoë-7", "[\"]"};
    std::vector<User> users;
    for (std::size_t i = 0; i < odd.size(); ++i)
        users.push_back(user(odd[i], "u" + std::to_string(i) + "@example.com"));
    users.push_back(user("plain", "plain@example.com"));
    seed(s, users, core_fields);
    const auto index = applier(s).load_index_for(odd);
    ASSERT_TRUE(index.has_value());
    std::set<std::string> found;
    for (const auto& u : index->users) found.insert(u.hris_id);
    EXPECT_EQ(found, std::set<std::string>(odd.begin(), odd.end()));
    EXPECT_EQ(applier(s).load_index_for(std::vector<std::string>{"Q", "back", "\"", ""})->users.size(), 0u);
}

TEST_F(DirectorySinkTest, EditingRefusesSyncedFieldsAndAllowsTheRest) {
    Sink& s = sink();
    seed(s, {user("A1", "ann@example.com"), user("B2", "bob@example.com")}, core_fields);
    EXPECT_NE(
        error_of([&] { s.edit_user("A1", "last_name", "Smith"); }).find("last_name of A1 is synced from the HRIS"),
        std::string::npos);
    EXPECT_NE(error_of([&] { s.edit_user("A1", "active", "false"); }).find("read-only"), std::string::npos);
    s.edit_user("A1", "job_title", "Boss");
    s.edit_user("A1", "manager", "bob@example.com");
    auto record = s.find_user("A1");
    EXPECT_EQ(record->user.job_title, "Boss");
    EXPECT_EQ(record->user.manager_hris_id, "B2");
    EXPECT_EQ(record->user.last_name, "LA1");
}

TEST_F(DirectorySinkTest, EditingRefusesBadValuesWithoutChangingAnything) {
    Sink& s = sink();
    seed(s, {user("A1", "ann@example.com"), user("B2", "bob@example.com")}, {"hris_id", "email"});
    EXPECT_EQ(error_of([&] { s.edit_user("nobody", "job_title", "x"); }),
              "no user \"nobody\" in the directory " + (dir_ / "directory.db").string());
    EXPECT_NE(error_of([&] { s.edit_user("A1", "salary", "1"); }).find("\"salary\" is not a field one can set here"),
              std::string::npos);
    EXPECT_EQ(error_of([&] { s.edit_user("A1", "active", "maybe"); }), "active takes true or false, not \"maybe\"");
    EXPECT_EQ(error_of([&] { s.edit_user("A1", "manager", "A1"); }), "a user cannot manage themselves");
    EXPECT_EQ(error_of([&] { s.edit_user("A1", "manager", "ghost"); }), "no user \"ghost\" to be the manager");
    auto record = s.find_user("A1");
    EXPECT_TRUE(record->user.active);
    EXPECT_EQ(record->user.manager_hris_id, "");
}

TEST_F(DirectorySinkTest, EditsAreAudited) {
    Sink& s = sink();
    seed(s, {user("A1", "ann@example.com")}, core_fields);
    s.edit_user("A1", "job_title", "Boss");
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session db("SQLite", (dir_ / "directory.db").string());
    std::vector<Poco::Tuple<std::string, std::string, std::string, std::string>> rows;
    db << "SELECT action, field, old_value, new_value FROM audit_log WHERE action = 'edited'", into(rows), now;
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].get<1>(), "job_title");
    EXPECT_EQ(rows[0].get<2>(), "Engineer");
    EXPECT_EQ(rows[0].get<3>(), "Boss");
}

TEST_F(DirectorySinkTest, AChangeSetPointingNowhereIsRefusedAndRolledBack) {
    Sink& s = sink();
    seed(s, {user("A1", "ann@example.com")}, core_fields);
    Snapshot snapshot;
    ChangeSet changes;
    changes.memberships_added.push_back({s.find_user("A1")->id, "A1", "No > Such > Department"});
    std::string message = error_of([&] { s.apply(snapshot, changes, ApplyContext{2, "test"}); });
    EXPECT_NE(message.find("rolled back"), std::string::npos) << message;
    EXPECT_NE(message.find("department \"No > Such > Department\" does not exist"), std::string::npos) << message;
    EXPECT_EQ(s.load_index().users.size(), 1u);
}

// Created users and departments are written a statement for all of them:
// one whose manager or parent the ChangeSet does not create fails the
// statement, names what is missing, and the run writes nothing.
TEST_F(DirectorySinkTest, ACreatedUsersManagerOrDepartmentsParentThatIsNotCreatedRollsTheRunBack) {
    Sink& s = sink();
    seed(s, {user("A1", "ann@example.com")}, core_fields);
    Snapshot snapshot;
    snapshot.users = std::vector<User>{user("B1", "bob@example.com"), user("B2", "bea@example.com")};
    ChangeSet changes;
    changes.synced_fields = core_fields;
    changes.created.push_back(CreatedUser{0, 42, 0, -1});
    changes.created.push_back(CreatedUser{1, 42, 0, 5});  // manager: record 5, not created
    std::string message = error_of([&] { s.apply(snapshot, changes, ApplyContext{2, "test"}); });
    EXPECT_NE(message.find("rolled back"), std::string::npos) << message;
    EXPECT_NE(message.find("record 5 is not created by this run"), std::string::npos) << message;
    EXPECT_EQ(s.load_index().users.size(), 1u);

    changes.created.back().manager_snapshot_index = 0;
    changes.departments_created = {"Eng", "Sales > West"};  // "Sales" is neither there nor created
    message = error_of([&] { s.apply(snapshot, changes, ApplyContext{2, "test"}); });
    EXPECT_NE(message.find("department \"Sales\" does not exist"), std::string::npos) << message;
    EXPECT_EQ(s.load_index().users.size(), 1u);
    EXPECT_TRUE(s.load_index().departments.empty());

    changes.departments_created = {"Eng", "Sales", "Sales > West"};
    s.apply(snapshot, changes, ApplyContext{2, "test"});
    const auto bea = s.find_user("B2");
    ASSERT_TRUE(bea.has_value());
    EXPECT_EQ(bea->user.manager_hris_id, "B1");
    const auto index = s.load_index();
    ASSERT_EQ(index.departments.size(), 3u);
    for (const auto& department : index.departments)
        if (department.name == "West") {
            const auto parent = std::find_if(index.departments.begin(), index.departments.end(),
                                             [&](const auto& d) { return d.id == department.parent_id; });
            ASSERT_NE(parent, index.departments.end());
            EXPECT_EQ(parent->name, "Sales");
        }
}

// Departments made by hand can be broken: a parent that is gone, parents
// that name each other. Their paths are cut as the diff cuts them (at a gone
// parent; a cycle at its smallest id, whatever order SQLite lists them in),
// so what the diff plans the sink finds; and once adopted they show under
// those paths.
TEST_F(DirectorySinkTest, DepartmentsWithABrokenChainOfParentsHaveThePathsTheDiffGivesThem) {
    Sink& s = sink();
    seed(s, {user("A1", "ann@example.com")}, core_fields);
    {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session db("SQLite", (dir_ / "directory.db").string());
        db << "INSERT INTO departments(id, parent_id, name, synced) VALUES (10, 11, 'Loop A', 0), "
              "(11, 10, 'Loop B', 0), (12, 99, 'Orphan', 0), (13, 12, 'Team', 0)",
            now;
    }
    const std::int64_t ann = s.find_user("A1")->id;
    Snapshot snapshot;
    ChangeSet changes;
    changes.departments_adopted = {"Loop A", "Loop A > Loop B", "Orphan", "Orphan > Team"};
    changes.memberships_added = {{ann, "A1", "Loop A > Loop B"}, {ann, "A1", "Orphan > Team"}};
    s.apply(snapshot, changes, ApplyContext{2, "test"});
    std::vector<std::string> paths = s.find_user("A1")->user.departments;
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(paths, (std::vector<std::string>{"Loop A > Loop B", "Orphan > Team"}));
}

std::string journal_mode(const std::filesystem::path& file) {
    Poco::Data::Session db("SQLite", file.string());
    std::string mode;
    db << "PRAGMA journal_mode", into(mode), now;
    return mode;
}

// PRAGMA integrity_check's answer: "ok" for a whole database.
std::string integrity_of(Poco::Data::Session& db) {
    std::string check;
    db << "PRAGMA integrity_check", into(check), now;
    return check;
}

// The one integer a query gives.
int count_of(Poco::Data::Session& db, const std::string& sql) {
    int n = 0;
    db << sql, into(n), now;
    return n;
}

std::vector<User> many_users(std::size_t n) {
    std::vector<User> users;
    for (std::size_t i = 0; i < n; ++i) {
        User u;
        u.hris_id = "E" + std::to_string(i);
        u.email = "e" + std::to_string(i) + "@example.com";
        u.first_name = "F";
        u.last_name = "L";
        users.push_back(std::move(u));
    }
    return users;
}

// A large first load goes through a rollback journal; the directory is in WAL
// again after it, whether the load landed or was rolled back.
TEST_F(DirectorySinkTest, ALargeFirstLoadLeavesTheDirectoryInWal) {
    Sink& s = sink();
    seed(s, many_users(12000), core_fields);
    EXPECT_EQ(s.load_index().users.size(), 12000u);
    EXPECT_EQ(journal_mode(dir_ / "directory.db"), "wal");

    Snapshot snapshot;
    snapshot.users = many_users(30000);
    ChangeSet changes;
    changes.synced_fields = core_fields;
    for (std::size_t i = 0; i < snapshot.users.size(); ++i)
        changes.created.push_back(CreatedUser{static_cast<std::int64_t>(i), 42, 0, -1});
    changes.memberships_added.push_back({1, "E0", "No > Such > Department"});
    std::string message = error_of([&] { s.apply(snapshot, changes, ApplyContext{2, "test"}); });
    EXPECT_NE(message.find("rolled back"), std::string::npos) << message;
    EXPECT_EQ(s.load_index().users.size(), 12000u);
    EXPECT_EQ(journal_mode(dir_ / "directory.db"), "wal");
}

// A large load drops the indexes its keys land all over and builds them
// again; each index is there after it and agrees with its table.
TEST_F(DirectorySinkTest, ALargeLoadLeavesEveryIndexWhole) {
    Sink& s = sink();
    seed(s, many_users(12000), core_fields);
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session db("SQLite", (dir_ / "directory.db").string());
    std::vector<std::string> names;
    db << "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
        into(names), now;
    EXPECT_EQ(names, (std::vector<std::string>{"audit_by_run", "memberships_by_department", "users_by_hris_id",
                                               "users_unsynced"}));
    EXPECT_EQ(integrity_of(db), "ok");
    EXPECT_EQ(count_of(db,
                       "SELECT COUNT(*) FROM audit_log INDEXED BY audit_by_run WHERE run_id = 1 AND action = "
                       "'created'"),
              12000);
}

// A load this large looks up its members' departments on a thread of its
// own: every membership lands, in the right department, and a department
// that does not exist still rolls the whole load back, naming it.
TEST_F(DirectorySinkTest, ALargeLoadWritesEveryMembership) {
    Sink& s = sink();
    const std::size_t n = 70000;
    Snapshot snapshot;
    snapshot.users = many_users(n);
    ChangeSet changes;
    changes.synced_fields = {"hris_id", "email", "first_name", "last_name", "active", "departments"};
    changes.departments_created = {"Eng", "Eng > Mobile", "Sales"};
    std::size_t memberships = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (i % 3 != 2)
            snapshot.users.edit(i, [&](User& u) {
                u.departments =
                    i % 3 == 0 ? std::vector<std::string>{"Eng > Mobile"} : std::vector<std::string>{"Eng", "Sales"};
            });
        memberships += snapshot.users[i].departments.size();
        changes.created.push_back(CreatedUser{static_cast<std::int64_t>(i), 42, 0, -1});
    }
    Snapshot bad = snapshot;
    bad.users.edit(n - 5, [&](User& u) { u.departments = {"Eng > Nowhere"}; });
    const std::string message = error_of([&] { s.apply(bad, changes, ApplyContext{1, "test"}); });
    EXPECT_NE(message.find("department \"Eng > Nowhere\" does not exist"), std::string::npos) << message;
    EXPECT_EQ(s.load_index().users.size(), 0u);

    s.apply(snapshot, changes, ApplyContext{2, "test"});
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session db("SQLite", (dir_ / "directory.db").string());
    int count = 0;
    db << "SELECT COUNT(*) FROM memberships", into(count), now;
    EXPECT_EQ(count, static_cast<int>(memberships));
    // Its indexes were built again from keys sorted in runs on SQLite's
    // threads, more runs than one at this size: whole, and in agreement
    // with their tables.
    EXPECT_EQ(integrity_of(db), "ok");
    EXPECT_EQ(count_of(db,
                       "SELECT COUNT(*) FROM memberships INDEXED BY memberships_by_department WHERE "
                       "department_id > 0"),
              static_cast<int>(memberships));
    std::vector<std::string> names;
    db << "SELECT d.name FROM memberships m JOIN users u ON u.id = m.user_id JOIN departments d ON d.id = "
          "m.department_id WHERE u.hris_id = 'E69997' ORDER BY d.name",
        into(names), now;
    EXPECT_EQ(names, (std::vector<std::string>{"Eng", "Sales"}));  // 69997 % 3 == 1
    names.clear();
    db << "SELECT d.name FROM memberships m JOIN users u ON u.id = m.user_id JOIN departments d ON d.id = "
          "m.department_id WHERE u.hris_id = 'E69999'",
        into(names), now;
    EXPECT_EQ(names, (std::vector<std::string>{"Mobile"}));  // 69999 % 3 == 0
    const auto index = applier(s).load_index_for(std::vector<std::string>{"E69998"});
    ASSERT_TRUE(index.has_value());
    ASSERT_EQ(index->users.size(), 1u);
    EXPECT_TRUE(index->users[0].synced);
    EXPECT_EQ(index->synced_users, static_cast<std::int64_t>(n));
}

// With another connection open (a reader, another process) the journal stays
// WAL and the load lands all the same.
TEST_F(DirectorySinkTest, ALargeLoadBesideAnotherConnectionStaysInWal) {
    Sink& s = sink();
    s.load_index();  // the database exists
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session reader("SQLite", (dir_ / "directory.db").string());
    int users = -1;
    reader << "SELECT COUNT(*) FROM users", into(users), now;
    EXPECT_EQ(users, 0);
    seed(s, many_users(12000), core_fields);
    reader << "SELECT COUNT(*) FROM users", into(users), now;
    EXPECT_EQ(users, 12000);
    std::string mode;
    reader << "PRAGMA journal_mode", into(mode), now;
    EXPECT_EQ(mode, "wal");
}

// The database file's size once every page the directory holds is in it
// (copied from the write-ahead log); a failure when that takes 20 seconds.
std::uintmax_t size_once_checkpointed(const std::filesystem::path& file) {
    Poco::Data::Session db("SQLite", file.string());
    int pages = 0, page_size = 0;
    db << "PRAGMA page_count", into(pages), now;
    db << "PRAGMA page_size", into(page_size), now;
    const auto wanted = static_cast<std::uintmax_t>(pages) * static_cast<std::uintmax_t>(page_size);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::filesystem::file_size(file) < wanted && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(std::filesystem::file_size(file), wanted) << "the run's pages never reached " << file;
    return std::filesystem::file_size(file);
}

// A run's commit leaves copying its pages from the log into the database to
// a thread of its own; they get there while the sink stays open, and a
// reader in the middle of a read neither blocks the run nor loses its view.
TEST_F(DirectorySinkTest, ARunsPagesReachTheDatabaseFileWhileTheSinkStaysOpen) {
    Sink& s = sink();
    seed(s, many_users(3000), core_fields);
    const auto file = dir_ / "directory.db";
    size_once_checkpointed(file);

    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session reader("SQLite", file.string());
    reader << "BEGIN", now;
    int users = -1;
    reader << "SELECT COUNT(*) FROM users", into(users), now;  // holds its view from here on
    EXPECT_EQ(users, 3000);
    Snapshot snapshot;
    snapshot.users = many_users(6000);
    ChangeSet changes;
    changes.synced_fields = core_fields;
    for (std::size_t i = 3000; i < 6000; ++i)
        changes.created.push_back(CreatedUser{static_cast<std::int64_t>(i), 42, 0, -1});
    s.apply(snapshot, changes, ApplyContext{2, "test"});
    reader << "SELECT COUNT(*) FROM users", into(users), now;
    EXPECT_EQ(users, 3000);  // its view, still
    reader << "COMMIT", now;
    reader << "SELECT COUNT(*) FROM users", into(users), now;
    EXPECT_EQ(users, 6000);

    // What the reader kept in the log goes with the next run's checkpoint.
    snapshot.users = many_users(6001);
    changes.created = {CreatedUser{6000, 42, 0, -1}};
    s.apply(snapshot, changes, ApplyContext{3, "test"});
    size_once_checkpointed(file);
    EXPECT_EQ(s.load_index().users.size(), 6001u);
    std::string check;
    reader << "PRAGMA integrity_check", into(check), now;
    EXPECT_EQ(check, "ok");
}

}  // namespace
}  // namespace peoplesync

namespace peoplesync {
namespace {

class DirectoryUpgradeTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-directory-upgrade");
        host_ = std::make_unique<testing::TestHost>(dir_);
        Poco::Data::SQLite::Connector::registerConnector();
    }
    void TearDown() override {
        sink_.reset();
        std::filesystem::remove_all(dir_);
    }
    Sink& sink() {
        sink_ = testing::built_plugins().make_sink(
            "directory", core::parse_config_text("database: directory.db\n", "sink.yaml"), *host_);
        return *sink_;
    }
    std::filesystem::path dir_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(DirectoryUpgradeTest, ADirectoryWithSyncedFieldsPerUserKeepsThem) {
    // A directory as peoplesync 0.1 development builds wrote it: the list in each row.
    {
        Poco::Data::Session db("SQLite", (dir_ / "directory.db").string());
        db << "CREATE TABLE users (id INTEGER PRIMARY KEY, hris_id TEXT, email TEXT NOT NULL, "
              "first_name TEXT NOT NULL DEFAULT '', last_name TEXT NOT NULL DEFAULT '', "
              "job_title TEXT NOT NULL DEFAULT '', phone_number TEXT NOT NULL DEFAULT '', "
              "employee_id TEXT NOT NULL DEFAULT '', hire_date TEXT NOT NULL DEFAULT '', "
              "profile_image_url TEXT NOT NULL DEFAULT '', profile_image_last_modified TEXT NOT NULL DEFAULT '', "
              "profile_image_cache_info TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1, "
              "manager_id INTEGER, synced INTEGER NOT NULL DEFAULT 0, synced_fields TEXT NOT NULL DEFAULT '', "
              "sync_hash INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL DEFAULT '')",
            Poco::Data::Keywords::now;
        db << "INSERT INTO users(id, hris_id, email, first_name, last_name, job_title, synced, synced_fields) "
              "VALUES(1, 'A1', 'a@example.com', 'Ann', 'Lee', 'Engineer', 1, "
              "'hris_id,email,first_name,last_name,active,job_title')",
            Poco::Data::Keywords::now;
    }
    Sink& s = sink();
    auto record = s.find_user("A1");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->synced_fields,
              (std::vector<std::string>{"hris_id", "email", "first_name", "last_name", "active", "job_title"}));
    try {
        s.edit_user("A1", "job_title", "Boss");
        FAIL() << "edited a synced field";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos) << e.what();
    }
    s.edit_user("A1", "phone_number", "+1 555");  // not synced
    EXPECT_EQ(s.find_user("A1")->user.phone_number, "+1 555");
}

TEST_F(DirectoryUpgradeTest, EveryWriteChangesTheStateTokenAndNothingElseDoes) {
    Sink& s = sink();
    const std::string empty = s.state_token();
    EXPECT_NE(empty.find("generation 0"), std::string::npos) << empty;
    Snapshot snapshot;
    User u;
    u.hris_id = "A1";
    u.email = "a@example.com";
    u.first_name = "Ann";
    u.last_name = "Lee";
    snapshot.users = {u};
    ChangeSet changes;
    changes.synced_fields = {"hris_id", "email", "first_name", "last_name", "active"};
    changes.created.push_back(CreatedUser{0, 7, 0, -1});
    s.apply(snapshot, changes, ApplyContext{1, "test"});
    const std::string applied = s.state_token();
    EXPECT_NE(applied, empty);
    s.load_index();
    s.find_user("A1");
    EXPECT_EQ(s.state_token(), applied) << "reading changed the token";
    s.edit_user("A1", "job_title", "Boss");
    EXPECT_NE(s.state_token(), applied);
    // Another directory file is another instance, whatever its generation.
    auto other = testing::built_plugins().make_sink(
        "directory", core::parse_config_text("database: other.db\n", "sink.yaml"), *host_);
    EXPECT_NE(other->state_token().substr(0, 30), empty.substr(0, 30));
}

}  // namespace
}  // namespace peoplesync
