// The postgres sink's own side of the directory's edits and browsing, as the
// daemon loads it: an edit is one transaction with its audit row (run 0,
// 'edited') that raises the state token and is not marked as a run's apply
// (so the read-only triggers check it as anyone's); lookups by hris_id or
// email; the browser reads what is committed while a run holds its
// transaction, from many threads at once, on a few connections of its own.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include <peoplesync/directory.hpp>
#include <peoplesync/testing.hpp>

#include "connection.hpp"
#include "pg_sink_fixture.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

class PgDirectoryEdits : public PgSinkTest {
protected:
    void SetUp() override {
        PgSinkTest::SetUp();
        db_ = std::make_unique<postgres::Connection>(connect());
        sink_ = make_sink();
        // Ann in Engineering, Bo reporting to her, by a run of pipeline hr.
        std::vector<User> users{person("W-1", "Ann", "Lee", "ann@example.com", "Engineer"),
                                person("W-2", "Bo", "Ray", "bo@example.com", "Designer")};
        users[0].departments = {"Engineering"};
        users[1].manager_hris_id = "W-1";
        Snapshot snapshot;
        snapshot.users = users;
        ChangeSet changes;
        changes.synced_fields = {"hris_id", "first_name", "last_name", "email", "job_title", "active"};
        changes.departments_created = {"Engineering"};
        changes.created = {{0, 1, 0, -1}, {1, 2, 0, 0}};
        sink_->apply(snapshot, changes, ApplyContext{1, "hr"});
    }

    static User person(std::string hris_id, std::string first, std::string last, std::string email, std::string title) {
        User u;
        u.hris_id = std::move(hris_id);
        u.first_name = std::move(first);
        u.last_name = std::move(last);
        u.email = std::move(email);
        u.job_title = std::move(title);
        return u;
    }

    std::string one(const std::string& sql) { return std::string(db_->execute(sql).text(0, 0)); }

    std::unique_ptr<postgres::Connection> db_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(PgDirectoryEdits, FindsAUserByHrisIdOrByEmailIgnoringCase) {
    auto ann = sink_->find_user("W-1");
    ASSERT_TRUE(ann);
    EXPECT_EQ(ann->user.email, "ann@example.com");
    EXPECT_EQ(ann->user.departments, (std::vector<std::string>{"Engineering"}));
    EXPECT_EQ(ann->synced_fields,
              (std::vector<std::string>{"hris_id", "first_name", "last_name", "email", "job_title", "active"}));
    auto bo = sink_->find_user("BO@Example.com");
    ASSERT_TRUE(bo);
    EXPECT_EQ(bo->user.hris_id, "W-2");
    EXPECT_EQ(bo->user.manager_hris_id, "W-1");
    EXPECT_FALSE(sink_->find_user("nobody@example.com"));
    db_->execute("INSERT INTO peoplesync.users(email) VALUES ('Twin@example.com'), ('twin@example.com')");
    try {
        sink_->find_user("twin@example.com");
        FAIL() << "two users have the email";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "several users have the email \"twin@example.com\"; name one by hris_id");
    }
}

TEST_F(PgDirectoryEdits, AnEditIsAuditedRaisesTheStateTokenAndIsNotMarkedAsARun) {
    // What the edit's transaction says it is, seen from inside it.
    db_->execute(
        "CREATE TABLE public.seen_marker(marker text);"
        "CREATE FUNCTION public.spy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO public.seen_marker VALUES (coalesce(current_setting('peoplesync.apply', true), '')); "
        "RETURN NEW; END $$;"
        "CREATE TRIGGER spy AFTER INSERT ON peoplesync.audit_log FOR EACH ROW EXECUTE FUNCTION public.spy()");
    const std::string before = sink_->state_token();
    sink_->edit_user("W-2", "phone_number", "+1 555 0100");
    EXPECT_NE(sink_->state_token(), before);
    EXPECT_EQ(one("SELECT phone_number FROM peoplesync.users WHERE hris_id = 'W-2'"), "+1 555 0100");
    EXPECT_EQ(one("SELECT string_agg(run_id || ' ' || user_id || ' ' || action || ' ' || field || ' [' || old_value "
                  "|| '] [' || new_value || ']', '; ') FROM peoplesync.audit_log WHERE run_id = 0"),
              "0 2 edited phone_number [] [+1 555 0100]");
    EXPECT_EQ(one("SELECT string_agg(marker, ',') FROM public.seen_marker"), "");
    EXPECT_EQ(one("SELECT count(*) FROM public.seen_marker"), "1");

    // A synced field: refused before the database's own trigger, nothing written.
    const std::string after_edit = sink_->state_token();
    try {
        sink_->edit_user("W-2", "job_title", "Lead");
        FAIL() << "job_title is synced";
    } catch (const SyncedFieldError& e) {
        EXPECT_STREQ(e.what(),
                     "job_title of W-2 is synced from the HRIS and read-only here (pipeline hr syncs it); change it "
                     "in the HRIS, or sync fewer fields");
        EXPECT_EQ(e.pipeline(), "hr");
    }
    EXPECT_EQ(sink_->state_token(), after_edit);
    EXPECT_EQ(one("SELECT count(*) FROM peoplesync.audit_log WHERE run_id = 0"), "1");
    try {
        sink_->edit_user("W-9", "phone_number", "1");
        FAIL() << "there is no W-9";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "no user \"W-9\" in the directory (postgres schema peoplesync)");
    }
}

TEST_F(PgDirectoryEdits, TheBrowserReadsWhatIsCommittedWhileARunHoldsItsTransaction) {
    DirectoryBrowser* browser = sink_->browser();
    ASSERT_NE(browser, nullptr);
    postgres::Transaction run(*db_);
    postgres::begin_apply(*db_, "peoplesync", "hr run 2");
    db_->execute("UPDATE peoplesync.users SET job_title = 'Principal' WHERE hris_id = 'W-1'");
    auto ann = browser->user(1);
    ASSERT_TRUE(ann);
    EXPECT_EQ(ann->user.job_title, "Engineer");
    EXPECT_EQ(ann->report_count, 1);
    EXPECT_EQ(browser->users(UserQuery{"lee", "", 10}).total, 1);
    // An edit of another field of the same user is made, after the run's
    // commit: it waits for the user's row if it comes first.
    std::thread edit([&] { browser->edit_user(1, {{"phone_number", "+1 555 0101"}}); });
    run.commit();
    edit.join();
    ann = browser->user(1);
    EXPECT_EQ(ann->user.job_title, "Principal");
    EXPECT_EQ(ann->user.phone_number, "+1 555 0101");
}

TEST_F(PgDirectoryEdits, TheBrowserAnswersManyThreadsOnAFewConnections) {
    DirectoryBrowser* browser = sink_->browser();
    ASSERT_NE(browser, nullptr);
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                try {
                    if (browser->users(UserQuery{t % 2 ? "b" : "", "", 50}).users.size() == (t % 2 ? 1u : 2u) &&
                        browser->user(2) && browser->departments().size() == 1)
                        ++answered;
                } catch (const std::exception& e) {
                    ADD_FAILURE() << e.what();
                }
            }
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(answered, 120);
    // Those past the pool's were closed: their server processes end soon after.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int open = 0;
    do {
        open =
            std::stoi(one("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'peoplesync hr "
                          "(directory browser)'"));
    } while (open > 4 && std::chrono::steady_clock::now() < until);
    EXPECT_GE(open, 1);
    EXPECT_LE(open, 4);
}

}  // namespace
}  // namespace peoplesync::postgres_test
