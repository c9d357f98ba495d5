// A schema the first build made (version 1), with a run's users in it,
// brought up to this build's version on open: its data kept, the indexes of
// version 2 made, and the sink reading and applying to it as to a new one.
#include <gtest/gtest.h>

#include <peoplesync/change_only.hpp>

#include "connection.hpp"
#include "pg_sink_fixture.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

using PgMigration = PgSinkTest;

TEST_F(PgMigration, AFirstVersionSchemaWithUsersIsBroughtUpToThisBuildsOnOpen) {
    postgres::Connection c = connect();
    postgres::migrate(c, "peoplesync", 1);
    ASSERT_EQ(postgres::stored_version(c, "peoplesync"), 1);
    {  // what a run of the first build left: Ann, and Bo reporting to her
        postgres::Transaction run(c);
        postgres::begin_apply(c, "peoplesync", "hr");
        c.execute(
            "INSERT INTO peoplesync.field_sets(fields) VALUES ('hris_id,email,first_name,manager');"
            "INSERT INTO peoplesync.users(id, hris_id, email, first_name, manager_id, synced, synced_field_set, "
            "synced_pipeline, sync_hash) SELECT 1, 'W-1', 'Ann@example.com', 'Ann', NULL, true, id, 'hr', 11 FROM "
            "peoplesync.field_sets UNION ALL SELECT 2, 'W-2', 'bo@example.com', 'Bo', 1, true, id, 'hr', 22 FROM "
            "peoplesync.field_sets;"
            "INSERT INTO peoplesync.audit_runs(run_id, pipeline, at) VALUES (1, 'hr', now());"
            "UPDATE peoplesync.directory_meta SET value = '1' WHERE key = 'generation'");
        run.commit();
    }
    const auto indexes = [&] {
        return std::string(c.execute("SELECT coalesce(string_agg(indexname, ',' ORDER BY indexname), '') FROM "
                                     "pg_indexes WHERE schemaname = 'peoplesync' AND tablename = 'users' AND "
                                     "indexname = 'users_by_manager'")
                               .text(0, 0));
    };
    EXPECT_EQ(indexes(), "");

    auto sink = make_sink();
    const DestinationIndex index = sink->load_index();  // opens, and migrates
    EXPECT_EQ(postgres::stored_version(c, "peoplesync"), postgres::schema_version);
    EXPECT_EQ(indexes(), "users_by_manager");
    ASSERT_EQ(index.users.size(), 2u);
    EXPECT_EQ(index.users[1].hris_id, "W-2");
    EXPECT_EQ(index.users[1].sync_hash, 22u);
    EXPECT_TRUE(dynamic_cast<RunLedger&>(*sink).applied(1));
    auto bo = sink->find_user("BO@example.com");
    ASSERT_TRUE(bo);
    EXPECT_EQ(bo->user.manager_hris_id, "W-1");
    EXPECT_EQ(bo->synced_fields, (std::vector<std::string>{"hris_id", "email", "first_name", "manager"}));
    // The next run gives the next ids, past the first build's.
    User cy;
    cy.hris_id = "W-3";
    cy.email = "cy@example.com";
    Snapshot snapshot;
    snapshot.users = std::vector<User>{cy};
    ChangeSet changes;
    changes.synced_fields = {"hris_id", "email"};
    changes.created = {{0, 33, 1, -1}};
    sink->apply(snapshot, changes, ApplyContext{2, "hr"});
    EXPECT_EQ(c.execute("SELECT id FROM peoplesync.users WHERE hris_id = 'W-3'").integer(0, 0), 3);
    EXPECT_EQ(sink->state_token(), "postgres " +
                                       std::string(c.execute("SELECT value FROM peoplesync.directory_meta WHERE "
                                                             "key = 'instance'")
                                                       .text(0, 0)) +
                                       " generation 2");
}

}  // namespace
}  // namespace peoplesync::postgres_test
