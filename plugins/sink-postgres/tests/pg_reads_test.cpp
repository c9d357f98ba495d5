// What the sink reads for a run, through the built plugin: the index (all
// of it, or what a change-only run can touch), users' records, and the
// state token; the same answers the directory sink gives from SQLite.
#include <algorithm>
#include <cstdlib>

#include <gtest/gtest.h>

#include <peoplesync/change_only.hpp>
#include <peoplesync/testing.hpp>

#include "connection.hpp"
#include "pg_server.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

using peoplesync::testing::MemoryHost;
using peoplesync::testing::options;
using peoplesync::testing::PluginFile;

class PgReads : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        ::setenv("PEOPLESYNC_TEST_PG_PASSWORD", PgServer::sink_password, 1);
        owner_ = connect();
        postgres::migrate(*owner_, "peoplesync");
        // Ann and Bo synced (Bo in a club the sync does not know), Cy added
        // by hand with a manager who is gone, and W-"5\ whose hris_id
        // needs quoting in an array.
        apply(
            "INSERT INTO peoplesync.field_sets(id, fields) VALUES (1, 'hris_id,email,first_name,last_name,active,"
            "job_title');"
            "INSERT INTO peoplesync.departments(id, parent_id, name, synced) VALUES (1, 0, 'Engineering', true), "
            "(2, 1, 'Mobile', true), (3, 0, 'Social club', false);"
            "INSERT INTO peoplesync.users(id, hris_id, email, first_name, last_name, job_title, active, manager_id, "
            "synced, synced_field_set, synced_pipeline, sync_hash, profile_image_url) VALUES "
            "(1, 'W-1', 'ann@example.com', 'Ann', 'Lee', 'CTO', true, NULL, true, 1, 'hr', 11, ''), "
            "(2, 'W-2', 'bo@example.com', 'Bo', 'Ng', 'Designer', true, 1, true, 1, 'hr', 22, 'https://x/bo.png'), "
            "(3, NULL, 'cy@example.com', 'Cy', 'Oh', '', false, 99, false, 0, '', 0, ''), "
            "(4, 'W-\"5\\', 'di@example.com', 'Di', 'Po', '', true, NULL, true, 1, 'hr', 44, '');"
            "INSERT INTO peoplesync.memberships(user_id, department_id) VALUES (1, 1), (2, 2), (2, 3), (3, 1)");
        sink_ = plugin_.make_sink(options({{"dsn", dsn()}, {"password_env", "PEOPLESYNC_TEST_PG_PASSWORD"}}), host_);
    }
    void TearDown() override { ::unsetenv("PEOPLESYNC_TEST_PG_PASSWORD"); }

    std::unique_ptr<postgres::Connection> connect() const {
        postgres::ConnectionSettings s;
        s.dsn = dsn();
        s.password = PgServer::sink_password;
        return std::make_unique<postgres::Connection>(s);
    }

    // SQL as a run of pipeline hr would write it.
    void apply(const std::string& sql) {
        postgres::Transaction transaction(*owner_);
        postgres::begin_apply(*owner_, "peoplesync", "hr run 1");
        owner_->execute(sql);
        transaction.commit();
    }

    static std::vector<std::pair<std::int64_t, std::int64_t>> pairs(const std::vector<Membership>& memberships) {
        std::vector<std::pair<std::int64_t, std::int64_t>> out;
        for (const auto& m : memberships) out.emplace_back(m.user_id, m.department_id);
        std::sort(out.begin(), out.end());
        return out;
    }

    static std::vector<std::int64_t> ids(std::vector<DestinationUser> users) {
        std::vector<std::int64_t> out;
        for (const auto& user : users) out.push_back(user.id);
        std::sort(out.begin(), out.end());
        return out;
    }

    PluginFile plugin_ = PluginFile::load(PEOPLESYNC_POSTGRES_PLUGIN);
    MemoryHost host_{".", "hr"};
    std::unique_ptr<postgres::Connection> owner_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(PgReads, TheIndexHoldsEveryUserDepartmentAndTheMembershipsOutsideTheSync) {
    DestinationIndex index = sink_->load_index();
    std::sort(index.users.begin(), index.users.end(), [](auto& a, auto& b) { return a.id < b.id; });
    ASSERT_EQ(index.users.size(), 4u);
    EXPECT_EQ(index.users[1].hris_id, "W-2");
    EXPECT_EQ(index.users[1].email, "bo@example.com");
    EXPECT_TRUE(index.users[1].active);
    EXPECT_TRUE(index.users[1].synced);
    EXPECT_EQ(index.users[1].sync_hash, 22u);
    EXPECT_EQ(index.users[2].hris_id, "");
    EXPECT_FALSE(index.users[2].active);
    EXPECT_FALSE(index.users[2].synced);
    EXPECT_EQ(index.users[3].hris_id, "W-\"5\\");
    EXPECT_EQ(index.synced_users, -1);
    ASSERT_EQ(index.departments.size(), 3u);
    std::sort(index.departments.begin(), index.departments.end(), [](auto& a, auto& b) { return a.id < b.id; });
    EXPECT_EQ(index.departments[1].parent_id, 1);
    EXPECT_EQ(index.departments[1].name, "Mobile");
    EXPECT_FALSE(index.departments[2].synced);
    EXPECT_EQ(pairs(index.memberships_outside_sync),
              (std::vector<std::pair<std::int64_t, std::int64_t>>{{2, 3}, {3, 1}}));
}

TEST_F(PgReads, AChangeOnlyIndexHoldsTheUsersAskedForAndThoseNotSynced) {
    const std::vector<std::string> asked{"W-2", "W-\"5\\", "W-404"};
    auto index = dynamic_cast<ChangeOnlyApplier&>(*sink_).load_index_for(asked);
    ASSERT_TRUE(index.has_value());
    EXPECT_EQ(ids(index->users), (std::vector<std::int64_t>{2, 3, 4}));
    EXPECT_EQ(index->synced_users, 3);
    EXPECT_EQ(index->departments.size(), 3u);
    EXPECT_EQ(pairs(index->memberships_outside_sync),
              (std::vector<std::pair<std::int64_t, std::int64_t>>{{2, 3}, {3, 1}}));
}

TEST_F(PgReads, FetchGivesWholeRecordsWithManagersAndSyncedFields) {
    const std::vector<std::int64_t> wanted{3, 2, 404};
    auto records = sink_->fetch(wanted);
    ASSERT_EQ(records.size(), 2u);
    const DestinationRecord& bo = records[0];
    EXPECT_EQ(bo.id, 2);
    EXPECT_EQ(bo.user.hris_id, "W-2");
    EXPECT_EQ(bo.user.last_name, "Ng");
    EXPECT_EQ(bo.user.job_title, "Designer");
    EXPECT_EQ(bo.user.profile_image.url, "https://x/bo.png");
    EXPECT_EQ(bo.user.manager_hris_id, "W-1");
    EXPECT_EQ(bo.department_ids, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(bo.synced_fields,
              (std::vector<std::string>{"hris_id", "email", "first_name", "last_name", "active", "job_title"}));
    const DestinationRecord& cy = records[1];
    EXPECT_EQ(cy.user.hris_id, "");
    EXPECT_FALSE(cy.user.active);
    EXPECT_EQ(cy.user.manager_hris_id, "(directory user 99)");
    EXPECT_TRUE(cy.synced_fields.empty());
    EXPECT_EQ(cy.department_ids, (std::vector<std::int64_t>{1}));
}

TEST_F(PgReads, TheStateTokenChangesWithEveryWriteThroughPeoplesync) {
    const std::string before = sink_->state_token();
    EXPECT_EQ(before.rfind("postgres ", 0), 0u) << before;
    EXPECT_NE(before.find(" generation 0"), std::string::npos) << before;
    // Another process's sink on the same schema sees the same token.
    MemoryHost other_host(".", "hr");
    auto other =
        plugin_.make_sink(options({{"dsn", dsn()}, {"password_env", "PEOPLESYNC_TEST_PG_PASSWORD"}}), other_host);
    EXPECT_EQ(other->state_token(), before);
    apply("UPDATE peoplesync.directory_meta SET value = (value::bigint + 1)::text WHERE key = 'generation'");
    const std::string after = sink_->state_token();
    EXPECT_NE(after, before);
    EXPECT_NE(after.find(" generation 1"), std::string::npos) << after;
}

TEST_F(PgReads, TheNextReadConnectsAgainAfterTheServerWentAway) {
    EXPECT_EQ(sink_->load_index().users.size(), 4u);
    pg_server().stop_immediate();
    EXPECT_THROW(sink_->load_index(), Error);
    pg_server().start();
    EXPECT_EQ(sink_->load_index().users.size(), 4u);
}

}  // namespace
}  // namespace peoplesync::postgres_test
