// A large load (more new users than the directory holds, over 10,000)
// builds the indexes of users, memberships and audit rows after its rows:
// afterwards the schema has exactly the indexes and constraints it had, and
// a large load that fails leaves them (and everything else) as they were.
#include <gtest/gtest.h>

#include "connection.hpp"
#include "pg_sink_fixture.hpp"

namespace peoplesync::postgres_test {
namespace {

class PgLargeLoad : public PgSinkTest {
protected:
    void SetUp() override {
        PgSinkTest::SetUp();
        sink_ = make_sink();
        db_ = std::make_unique<postgres::Connection>(connect());
    }

    // Every index and constraint of the schema, as the database defines them.
    std::string definitions() {
        return std::string(
            db_->execute("SELECT string_agg(d, E'\\n' ORDER BY d) FROM (SELECT indexdef AS d FROM pg_indexes WHERE "
                         "schemaname = 'peoplesync' UNION ALL SELECT conname || ' ' || pg_get_constraintdef(c.oid) "
                         "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = "
                         "'peoplesync') AS all_definitions")
                .text(0, 0));
    }

    static std::pair<Snapshot, ChangeSet> created(int count) {
        std::vector<User> users;
        for (int i = 0; i < count; ++i) {
            User u;
            u.hris_id = "W-" + std::to_string(i);
            u.email = "w" + std::to_string(i) + "@example.com";
            u.departments = {i % 2 ? "Sales" : "Engineering"};
            u.manager_hris_id = i == 0 ? "" : "W-0";
            users.push_back(std::move(u));
        }
        std::pair<Snapshot, ChangeSet> run;
        run.first.users = users;
        run.second.synced_fields = {"hris_id", "email", "departments", "manager"};
        run.second.departments_created = {"Engineering", "Sales"};
        for (int k = 0; k < count; ++k)
            run.second.created.push_back({k, static_cast<std::uint64_t>(k + 1), 0, k == 0 ? -1 : 0});
        return run;
    }

    std::shared_ptr<Sink> sink_;
    std::unique_ptr<postgres::Connection> db_;
};

TEST_F(PgLargeLoad, LeavesTheSchemasIndexesAsTheyWere) {
    sink_->load_index();  // makes the schema
    const std::string before = definitions();
    EXPECT_NE(before.find("users_by_manager"), std::string::npos) << before;
    EXPECT_NE(before.find("users_hris_id_key UNIQUE (hris_id)"), std::string::npos) << before;
    auto [snapshot, changes] = created(12000);
    sink_->apply(snapshot, changes, ApplyContext{1, "hr"});
    EXPECT_EQ(definitions(), before);
    EXPECT_EQ(db_->execute("SELECT count(*) FROM peoplesync.users WHERE manager_id = (SELECT id FROM peoplesync.users "
                           "WHERE hris_id = 'W-0')")
                  .integer(0, 0),
              11999);
    // The rebuilt uniqueness holds.
    EXPECT_THROW(db_->execute("INSERT INTO peoplesync.users(hris_id, email) VALUES ('W-5', 'x@example.com')"),
                 postgres::StatementError);
}

TEST_F(PgLargeLoad, ALargeLoadThatFailsLeavesTheIndexesAndRowsAsTheyWere) {
    sink_->load_index();
    const std::string before = definitions();
    db_->execute(
        "CREATE FUNCTION public.refuse_last() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.user_id = "
        "(SELECT max(id) FROM peoplesync.users) THEN RAISE EXCEPTION 'no room for the last'; END IF; RETURN NEW; "
        "END $$; CREATE TRIGGER refuse_last BEFORE INSERT ON peoplesync.audit_log FOR EACH ROW EXECUTE FUNCTION "
        "public.refuse_last()");
    const std::string with_trigger = definitions();
    auto [snapshot, changes] = created(12000);
    try {
        sink_->apply(snapshot, changes, ApplyContext{1, "hr"});
        FAIL() << "the load went through";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no room for the last"), std::string::npos) << e.what();
    }
    EXPECT_EQ(definitions(), with_trigger);
    EXPECT_EQ(db_->execute("SELECT count(*) FROM peoplesync.users").integer(0, 0), 0);
    EXPECT_EQ(before, with_trigger);  // a trigger is no index
}

}  // namespace
}  // namespace peoplesync::postgres_test
