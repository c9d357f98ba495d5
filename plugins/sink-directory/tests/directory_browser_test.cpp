// The directory sink's browser (Sink::browser()) against a real SQLite
// directory: pages, searches, one user whole, the department tree, members,
// edits all or nothing, and reads while a writer holds the file.
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <peoplesync/directory.hpp>

#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync {
namespace {

const std::vector<std::string> synced_fields = {"hris_id", "email",       "first_name", "last_name",
                                                "active",  "departments", "manager"};

User person(const std::string& id, const std::string& first, const std::string& last, const std::string& email,
            std::vector<std::string> departments = {}, const std::string& manager = "") {
    User u;
    u.hris_id = id;
    u.first_name = first;
    u.last_name = last;
    u.email = email;
    u.job_title = "Engineer";
    u.departments = std::move(departments);
    u.manager_hris_id = manager;
    return u;
}

class DirectoryBrowserTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("peoplesync-directory-browser");
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
    DirectoryBrowser& browser() {
        if (!sink_) sink();
        DirectoryBrowser* found = sink_->browser();
        if (found == nullptr) throw Error("the directory sink offers no browser");
        return *found;
    }

    // Creates `users` as a run would: their departments (and those above),
    // memberships and managers among them.
    void seed(const std::vector<User>& users, std::int64_t run = 1,
              const std::vector<std::string>& fields = synced_fields) {
        Snapshot snapshot;
        snapshot.users = users;
        ChangeSet changes;
        changes.synced_fields = fields;
        std::set<std::string> paths;  // a parent's path sorts before its children's
        for (const auto& u : users)
            for (const auto& path : u.departments)
                for (auto at = path.find(" > "); true; at = path.find(" > ", at + 3)) {
                    paths.insert(path.substr(0, at));
                    if (at == std::string::npos) break;
                }
        changes.departments_created.assign(paths.begin(), paths.end());
        for (std::size_t i = 0; i < users.size(); ++i) {
            CreatedUser c;
            c.snapshot_index = static_cast<std::int64_t>(i);
            c.sync_hash = 42;
            for (std::size_t m = 0; m < users.size(); ++m)
                if (!users[i].manager_hris_id.empty() && users[m].hris_id == users[i].manager_hris_id)
                    c.manager_snapshot_index = static_cast<std::int64_t>(m);
            changes.created.push_back(c);
        }
        if (!sink_) sink();
        sink_->apply(snapshot, changes, ApplyContext{run, "test"});
    }

    // A connection of the test's own, waiting for locks as the sink's do: on
    // Windows a read that starts while the sink's background work starts one
    // may find the file's lock byte taken for a moment.
    sqlite3* open_db() {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open((dir_ / "directory.db").string().c_str(), &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 10000);
        return db;
    }

    // SQL on a connection of the test's own.
    void sql(const std::string& statement) {
        sqlite3* db = open_db();
        char* message = nullptr;
        const int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &message);
        const std::string error = message != nullptr ? message : "";
        sqlite3_free(message);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << error << " in " << statement;
    }
    std::int64_t number(const std::string& query) {
        sqlite3* db = open_db();
        sqlite3_stmt* statement = nullptr;
        std::int64_t value = -1;
        if (sqlite3_prepare_v2(db, query.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW)
            value = sqlite3_column_int64(statement, 0);
        sqlite3_finalize(statement);
        sqlite3_close(db);
        return value;
    }
    std::int64_t id_of(const std::string& hris_id) {
        auto found = sink_->find_user(hris_id);
        if (!found) throw Error("no " + hris_id);
        return found->id;
    }

    // Every page of a query, following `next`; the pages' sizes in `sizes`.
    std::vector<DirectoryListedUser> all_pages(UserQuery query, std::vector<std::size_t>* sizes = nullptr,
                                               std::vector<std::int64_t>* totals = nullptr) {
        std::vector<DirectoryListedUser> out;
        for (int pages = 0; pages < 100000; ++pages) {
            UserPage page = browser().users(query);
            if (sizes) sizes->push_back(page.users.size());
            if (totals) totals->push_back(page.total);
            out.insert(out.end(), page.users.begin(), page.users.end());
            if (page.next.empty()) return out;
            query.after = page.next;
        }
        ADD_FAILURE() << "the pages never end";
        return out;
    }
    static std::vector<std::string> hris_ids(const std::vector<DirectoryListedUser>& users) {
        std::vector<std::string> out;
        for (const auto& u : users) out.push_back(u.hris_id);
        return out;
    }
    std::vector<std::string> found(const std::string& search) { return hris_ids(all_pages(UserQuery{search, "", 50})); }

    std::filesystem::path dir_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(DirectoryBrowserTest, ADirectoryWithoutAFileYetIsEmptyAndBrowsingDoesNotMakeOne) {
    EXPECT_TRUE(browser().users({}).users.empty());
    EXPECT_TRUE(browser().users({}).next.empty());
    EXPECT_FALSE(browser().user(1).has_value());
    EXPECT_TRUE(browser().departments().empty());
    EXPECT_FALSE(browser().members(1, "", 10).has_value());
    EXPECT_FALSE(std::filesystem::exists(dir_ / "directory.db"));
}

TEST_F(DirectoryBrowserTest, PagesGoThroughEveryUserOnceInTheOrderOfTheirIds) {
    std::vector<User> users;
    for (int i = 0; i < 23; ++i)
        users.push_back(person("P" + std::to_string(100 + i), "First", "Last", "p" + std::to_string(i) + "@x.com"));
    seed(users);
    std::vector<std::size_t> sizes;
    std::vector<std::int64_t> totals;
    const auto listed = all_pages(UserQuery{"", "", 5}, &sizes, &totals);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{5, 5, 5, 5, 3}));
    EXPECT_EQ(totals, (std::vector<std::int64_t>(5, 23)));
    ASSERT_EQ(listed.size(), 23u);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        EXPECT_EQ(listed[i].hris_id, "P" + std::to_string(100 + i));
        if (i > 0) {
            EXPECT_LT(listed[i - 1].id, listed[i].id);
        }
    }
    EXPECT_EQ(listed[0].email, "p0@x.com");
    EXPECT_EQ(listed[0].job_title, "Engineer");
    EXPECT_TRUE(listed[0].synced);
    EXPECT_TRUE(listed[0].active);
    // A page past the last user is empty, without a next one.
    UserPage past = browser().users(UserQuery{"", std::to_string(listed.back().id), 5});
    EXPECT_TRUE(past.users.empty());
    EXPECT_TRUE(past.next.empty());
}

TEST_F(DirectoryBrowserTest, ASearchMatchesAPrefixOfEachFieldIgnoringCase) {
    seed({person("W-100", "Ann", "Lee", "ann.lee@example.com"), person("X-200", "Bob", "Leeds", "bob@example.org"),
          person("W-300", "Carol", "Zed", "carol@example.net"), person("Q-400", "Leena", "Ray", "ray@example.com")});
    EXPECT_EQ(found("lee"), (std::vector<std::string>{"W-100", "X-200", "Q-400"}));  // last, last, first name
    EXPECT_EQ(found("ANN L"), (std::vector<std::string>{"W-100"}));                  // "first last"
    EXPECT_EQ(found("w-"), (std::vector<std::string>{"W-100", "W-300"}));            // hris_id
    EXPECT_EQ(found("x-2"), (std::vector<std::string>{"X-200"}));
    EXPECT_EQ(found("Bob@Ex"), (std::vector<std::string>{"X-200"}));  // email
    EXPECT_EQ(found("  carol  "), (std::vector<std::string>{"W-300"}));
    EXPECT_TRUE(found("ed").empty());  // inside "Zed" and "Leeds", at the start of nothing
    EXPECT_TRUE(found("example").empty());
    EXPECT_TRUE(found(std::string("lee\x01", 4)).empty());  // the table's separator, in a search
    EXPECT_TRUE(found(std::string("\x02", 1)).empty());
    UserPage none = browser().users(UserQuery{"nobody", "", 50});
    EXPECT_TRUE(none.users.empty());
    EXPECT_TRUE(none.next.empty());
    EXPECT_EQ(none.total, 0);
    EXPECT_EQ(browser().users(UserQuery{"lee", "", 50}).total, 3);
}

TEST_F(DirectoryBrowserTest, ASearchWithManyMatchesPagesThroughThemOnce) {
    std::vector<User> users;
    for (int i = 0; i < 30; ++i)
        users.push_back(person("S" + std::to_string(i), i % 2 ? "Sam" : "Kim", "Smith", std::to_string(i) + "@x.com"));
    seed(users);
    std::vector<std::size_t> sizes;
    std::vector<std::int64_t> totals;
    const auto matched = hris_ids(all_pages(UserQuery{"sam smith", "", 4}, &sizes, &totals));
    std::vector<std::string> expected;
    for (int i = 1; i < 30; i += 2) expected.push_back("S" + std::to_string(i));
    EXPECT_EQ(matched, expected);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{4, 4, 4, 3}));
    EXPECT_EQ(totals, (std::vector<std::int64_t>(4, 15)));
}

TEST_F(DirectoryBrowserTest, ASearchThatMatchesMostUsersPagesThroughThemInOrder) {
    std::vector<User> users;
    for (int i = 0; i < 11500; ++i)
        users.push_back(person("T-" + std::to_string(10000 + i), "Tess", "Trent", "t" + std::to_string(i) + "@x.com"));
    users.push_back(person("U-1", "Una", "Ulm", "una@x.com"));
    seed(users);
    UserPage first = browser().users(UserQuery{"t-", "", 50});
    EXPECT_EQ(first.users.size(), 50u);
    EXPECT_EQ(first.total, 11500);
    std::vector<std::size_t> sizes;
    const auto matched = all_pages(UserQuery{"T-", "", 1000}, &sizes);
    ASSERT_EQ(matched.size(), 11500u);
    EXPECT_EQ(sizes.size(), 12u);
    std::set<std::int64_t> ids;
    for (const auto& u : matched) ids.insert(u.id);
    EXPECT_EQ(ids.size(), matched.size());
    EXPECT_TRUE(
        std::is_sorted(matched.begin(), matched.end(), [](const auto& a, const auto& b) { return a.id < b.id; }));
    EXPECT_EQ(hris_ids(browser().users(UserQuery{"una", "", 50}).users), (std::vector<std::string>{"U-1"}));
}

// What runs, edits and other hands change is what the next search finds.
TEST_F(DirectoryBrowserTest, ASearchFindsWhatRunsEditsAndOthersChanged) {
    seed({person("A-1", "Ann", "Lee", "ann@x.com"), person("B-1", "Bob", "Ode", "bob@x.com")});
    EXPECT_EQ(found("lee"), (std::vector<std::string>{"A-1"}));

    // A run renames Ann.
    Snapshot snapshot;
    snapshot.users = std::vector<User>{person("A-1", "Ann", "Smith", "ann@x.com")};
    ChangeSet rename;
    rename.synced_fields = synced_fields;
    UserChange change;
    change.destination_id = id_of("A-1");
    change.snapshot_index = 0;
    change.hris_id = change.previous_hris_id = "A-1";
    change.email = "ann@x.com";
    change.fields = {{"last_name", "Lee", "Smith"}};
    change.sync_hash = 43;
    rename.users.push_back(change);
    sink_->apply(snapshot, rename, ApplyContext{2, "test"});
    EXPECT_TRUE(found("lee").empty());
    EXPECT_EQ(found("ann sm"), (std::vector<std::string>{"A-1"}));

    // Somebody adds a user with SQL, then the directory's own edit renames them.
    sql("INSERT INTO users(id, email, first_name, last_name) VALUES(900, 'zed@x.com', 'Zed', 'Quill')");
    EXPECT_EQ(all_pages(UserQuery{"zed", "", 50}).size(), 1u);
    browser().edit_user(900, {{"first_name", "Zora"}, {"manager", "B-1"}});
    EXPECT_EQ(all_pages(UserQuery{"zed", "", 50}).size(), 1u);  // the email still starts so
    EXPECT_EQ(all_pages(UserQuery{"zed q", "", 50}).size(), 0u);
    EXPECT_EQ(all_pages(UserQuery{"zora q", "", 50}).size(), 1u);
    auto bob = browser().user(id_of("B-1"));
    ASSERT_TRUE(bob.has_value());
    EXPECT_EQ(bob->report_count, 1);
    ASSERT_EQ(bob->reports.size(), 1u);
    EXPECT_EQ(bob->reports[0].name, "Zora Quill");
}

// A large load after searches: written through a rollback journal, the
// file back in WAL after it, and the table brought up to date.
TEST_F(DirectoryBrowserTest, ALargeLoadAfterSearchesLeavesTheFileInWalAndIsFound) {
    seed({person("A-1", "Ann", "Lee", "ann@x.com")});
    EXPECT_EQ(found("ann"), (std::vector<std::string>{"A-1"}));
    std::vector<User> users;
    for (int i = 0; i < 11000; ++i)
        users.push_back(person("T-" + std::to_string(10000 + i), "Tess", "Trent", "t" + std::to_string(i) + "@x.com"));
    seed(users, 2);
    sqlite3* db = open_db();
    sqlite3_stmt* mode = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &mode, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(mode), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(mode, 0)), "wal");
    sqlite3_finalize(mode);
    sqlite3_close(db);
    EXPECT_EQ(browser().users(UserQuery{"t-", "", 50}).total, 11000);
    EXPECT_EQ(found("ann"), (std::vector<std::string>{"A-1"}));
}

// A directory past the size whose search table is read before the first
// answer: the first search reads the users in order (no total), and every
// search finds the same users either way.
TEST_F(DirectoryBrowserTest, ALargeDirectorySearchesInOrderUntilItsTableIsRead) {
    std::vector<User> users;
    char id[16];
    for (int i = 0; i < 50500; ++i) {
        std::snprintf(id, sizeof id, "T-%05d", i);
        users.push_back(person(id, "Tess", "Trent", "t" + std::to_string(i) + "@x.com"));
    }
    users.push_back(person("U-1", "Una", "Ulm", "una@x.com"));
    seed(users);
    const std::vector<std::string> tens = {"T-00010", "T-00011", "T-00012", "T-00013", "T-00014",
                                           "T-00015", "T-00016", "T-00017", "T-00018", "T-00019"};
    UserPage first = browser().users(UserQuery{"t-0001", "", 50});
    EXPECT_EQ(first.total, -1);
    EXPECT_EQ(hris_ids(first.users), tens);
    EXPECT_EQ(found("una"), (std::vector<std::string>{"U-1"}));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (browser().users(UserQuery{"una", "", 50}).total != 1 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    UserPage indexed = browser().users(UserQuery{"t-0001", "", 50});
    EXPECT_EQ(indexed.total, 10);
    EXPECT_EQ(hris_ids(indexed.users), tens);
    EXPECT_EQ(found("una"), (std::vector<std::string>{"U-1"}));
}

TEST_F(DirectoryBrowserTest, AUserComesWithManagerReportsDepartmentsAndWhatIsSynced) {
    seed({person("B-1", "Bea", "Boss", "bea@x.com", {"Eng"}),
          person("D-1", "Dan", "Dev", "dan@x.com", {"Eng > Mobile"}, "B-1"),
          person("D-2", "Dee", "Dev", "dee@x.com", {"Eng > Mobile", "Sales"}, "B-1")});
    const std::int64_t boss = id_of("B-1"), dee = id_of("D-2");
    auto bea = browser().user(boss);
    ASSERT_TRUE(bea.has_value());
    EXPECT_EQ(bea->user.first_name, "Bea");
    EXPECT_EQ(bea->user.email, "bea@x.com");
    EXPECT_FALSE(bea->manager.has_value());
    EXPECT_EQ(bea->report_count, 2);
    ASSERT_EQ(bea->reports.size(), 2u);
    EXPECT_EQ(bea->reports[0].name, "Dan Dev");
    EXPECT_EQ(bea->reports[1].hris_id, "D-2");
    EXPECT_TRUE(bea->synced);
    EXPECT_EQ(bea->synced_by, "test");
    EXPECT_EQ(bea->synced_fields, synced_fields);
    EXPECT_FALSE(bea->updated_at.empty());

    auto d2 = browser().user(dee);
    ASSERT_TRUE(d2.has_value());
    ASSERT_TRUE(d2->manager.has_value());
    EXPECT_EQ(d2->manager->id, boss);
    EXPECT_EQ(d2->manager->name, "Bea Boss");
    EXPECT_EQ(d2->manager->hris_id, "B-1");
    EXPECT_EQ(d2->user.manager_hris_id, "B-1");
    ASSERT_EQ(d2->departments.size(), 2u);
    EXPECT_EQ(d2->departments[0].path, "Eng > Mobile");
    EXPECT_EQ(d2->departments[1].path, "Sales");
    EXPECT_TRUE(d2->departments[0].synced);
    EXPECT_TRUE(d2->reports.empty());
    EXPECT_EQ(d2->report_count, 0);

    // A user the directory's own people added: nothing synced, no pipeline.
    sql("INSERT INTO departments(id, parent_id, name, synced) VALUES(900, 0, 'Ops', 0)");
    sql("INSERT INTO users(id, email, first_name, last_name) VALUES(800, 'hand@x.com', 'Hand', 'Made')");
    sql("INSERT INTO memberships(user_id, department_id) VALUES(800, 900)");
    auto hand = browser().user(800);
    ASSERT_TRUE(hand.has_value());
    EXPECT_FALSE(hand->synced);
    EXPECT_TRUE(hand->synced_fields.empty());
    EXPECT_EQ(hand->synced_by, "");
    ASSERT_EQ(hand->departments.size(), 1u);
    EXPECT_EQ(hand->departments[0].path, "Ops");
    EXPECT_FALSE(hand->departments[0].synced);

    EXPECT_FALSE(browser().user(987654).has_value());
}

TEST_F(DirectoryBrowserTest, TheDepartmentTreeHasPathsParentsChainFlagsAndMemberCounts) {
    seed({person("B-1", "Bea", "Boss", "bea@x.com", {"Eng"}),
          person("D-1", "Dan", "Dev", "dan@x.com", {"Eng > Mobile"}, "B-1"),
          person("D-2", "Dee", "Dev", "dee@x.com", {"Eng > Mobile", "Sales"}, "B-1")});
    sql("INSERT INTO departments(id, parent_id, name, synced) VALUES(900, 0, 'Ops', 0)");
    const auto tree = browser().departments();
    ASSERT_EQ(tree.size(), 4u);
    std::vector<std::string> paths;
    for (const auto& d : tree) paths.push_back(d.path);
    EXPECT_EQ(paths, (std::vector<std::string>{"Eng", "Eng > Mobile", "Ops", "Sales"}));
    EXPECT_EQ(tree[0].parent_id, 0);
    EXPECT_EQ(tree[1].parent_id, tree[0].id);
    EXPECT_EQ(tree[1].name, "Mobile");
    EXPECT_EQ(tree[0].members, 1);
    EXPECT_EQ(tree[1].members, 2);
    EXPECT_EQ(tree[2].members, 0);
    EXPECT_EQ(tree[3].members, 1);
    EXPECT_TRUE(tree[0].synced);
    EXPECT_FALSE(tree[2].synced);

    auto first = browser().members(tree[1].id, "", 1);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(hris_ids(first->users), (std::vector<std::string>{"D-1"}));
    EXPECT_EQ(first->total, 2);
    ASSERT_FALSE(first->next.empty());
    auto second = browser().members(tree[1].id, first->next, 1);
    EXPECT_EQ(hris_ids(second->users), (std::vector<std::string>{"D-2"}));
    EXPECT_TRUE(second->next.empty());
    EXPECT_TRUE(browser().members(tree[2].id, "", 10)->users.empty());
    EXPECT_FALSE(browser().members(4242, "", 10).has_value());
}

TEST_F(DirectoryBrowserTest, AnEditSetsUnsyncedFieldsAllOrNothing) {
    seed({person("A-1", "Ann", "Lee", "ann@x.com"), person("B-1", "Bob", "Ode", "bob@x.com")}, 1,
         {"hris_id", "email", "first_name", "last_name", "active"});
    const std::int64_t ann = id_of("A-1");
    auto edited = browser().edit_user(ann, {{"job_title", "Head of People"}, {"phone_number", "+1 415 555 0100"}});
    ASSERT_TRUE(edited.has_value());
    EXPECT_EQ(edited->user.job_title, "Head of People");
    EXPECT_EQ(edited->user.phone_number, "+1 415 555 0100");
    EXPECT_EQ(sink_->find_user("A-1")->user.phone_number, "+1 415 555 0100");
    EXPECT_EQ(number("SELECT COUNT(*) FROM audit_log WHERE action = 'edited' AND user_id = " + std::to_string(ann)), 2);

    // A synced field among them: refused, naming the field and the pipeline; nothing changes.
    try {
        browser().edit_user(ann, {{"phone_number", "+2"}, {"last_name", "Smith"}});
        ADD_FAILURE() << "a synced field was edited";
    } catch (const SyncedFieldError& e) {
        EXPECT_EQ(e.field(), "last_name");
        EXPECT_EQ(e.pipeline(), "test");
        EXPECT_NE(std::string(e.what()).find("last_name of A-1 is synced from the HRIS and read-only here (pipeline "
                                             "test syncs it)"),
                  std::string::npos)
            << e.what();
    }
    auto check_unchanged = [&] {
        const auto now = sink_->find_user("A-1");
        EXPECT_EQ(now->user.phone_number, "+1 415 555 0100");
        EXPECT_EQ(now->user.last_name, "Lee");
        EXPECT_EQ(now->user.manager_hris_id, "");
    };
    check_unchanged();
    auto refused = [&](const std::vector<std::pair<std::string, std::string>>& fields) {
        try {
            browser().edit_user(ann, fields);
        } catch (const SyncedFieldError& e) {
            return std::string("synced: ") + e.what();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(refused({{"phone_number", "+3"}, {"manager", "ghost"}}), "no user \"ghost\" to be the manager");
    EXPECT_NE(refused({{"manager", "B-1"}, {"salary", "1"}}).find("\"salary\" is not a field one can set here"),
              std::string::npos);
    EXPECT_EQ(refused({{"phone_number", "+4"}, {"active", "maybe"}}).find("synced: "), 0u);  // active is synced
    EXPECT_EQ(refused({}), "nothing to change: name at least one field and its new value");
    check_unchanged();
    EXPECT_FALSE(browser().edit_user(987654, {{"job_title", "x"}}).has_value());

    auto managed = browser().edit_user(ann, {{"manager", "bob@x.com"}});
    ASSERT_TRUE(managed && managed->manager);
    EXPECT_EQ(managed->manager->hris_id, "B-1");
}

TEST_F(DirectoryBrowserTest, AWrongCursorOrSearchIsAnError) {
    seed({person("A-1", "Ann", "Lee", "ann@x.com")});
    auto error_of = [&](const UserQuery& query) {
        try {
            browser().users(query);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(error_of(UserQuery{"", "abc", 10}),
              "\"abc\" is not where a page of this directory ends (pass a page's \"next\")");
    EXPECT_EQ(error_of(UserQuery{"", "-4", 10}),
              "\"-4\" is not where a page of this directory ends (pass a page's \"next\")");
    EXPECT_EQ(error_of(UserQuery{"a\xff", "", 10}), "the search \"a\xef\xbf\xbd\" is not valid UTF-8");
}

// A writer holding the file (a run applying) does not stop a page: the
// reader sees the last commit, and with no busy timeout it would fail at once
// if it had to wait.
TEST_F(DirectoryBrowserTest, APageAnswersWhileAWriterHoldsTheDirectory) {
    sink("database: directory.db\nbusy_timeout_ms: 0\n");
    seed({person("A-1", "Ann", "Lee", "ann@x.com")});
    browser().users({});  // the schema checked before the writer comes
    sqlite3* writer = open_db();
    ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE; INSERT INTO users(email, first_name) VALUES('new@x.com', 'New')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    UserPage page;
    EXPECT_NO_THROW(page = browser().users({}));
    EXPECT_EQ(hris_ids(page.users), (std::vector<std::string>{"A-1"}));
    EXPECT_EQ(page.total, 1);
    sqlite3_exec(writer, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(writer);
    EXPECT_EQ(browser().users({}).total, 2);
}

}  // namespace
}  // namespace peoplesync
