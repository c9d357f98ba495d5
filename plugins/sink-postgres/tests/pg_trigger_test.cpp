// The read-only rule in the database: a synced field of a synced user
// changes only in peoplesync's own apply (its transaction-local marker, set
// by the role that owns the schema); any other session, of another role or
// of the same one, is refused with the field and the pipeline, and may
// change every field the sync leaves alone.
#include <gtest/gtest.h>

#include "pg_server.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

using postgres::Connection;
using postgres::ConnectionSettings;
using postgres::StatementError;
using postgres::Transaction;

class PgTrigger : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        owner_ = connect(PgServer::sink_user, PgServer::sink_password);
        postgres::migrate(*owner_, "peoplesync");
        // What a run would leave: W-1 synced by pipeline hr (departments
        // and manager among the fields), W-2 synced without them, U-3
        // added by hand.
        Transaction apply(*owner_);
        postgres::begin_apply(*owner_, "peoplesync", "hr run 1");
        owner_->execute(
            "INSERT INTO peoplesync.field_sets(id, fields) VALUES "
            "(1, 'hris_id,email,first_name,last_name,active,job_title,manager,profile_image,departments'), "
            "(2, 'hris_id,email,first_name,last_name,active');"
            "INSERT INTO peoplesync.users(id, hris_id, email, first_name, job_title, synced, synced_field_set, "
            "synced_pipeline) VALUES (1, 'W-1', 'ann@example.com', 'Ann', 'Engineer', true, 1, 'hr'), "
            "(2, 'W-2', 'bo@example.com', 'Bo', 'Designer', true, 2, 'hr'), "
            "(3, 'U-3', 'cy@example.com', 'Cy', 'Contractor', false, 0, '');"
            "INSERT INTO peoplesync.departments(id, name, synced) VALUES (1, 'Engineering', true);"
            "INSERT INTO peoplesync.memberships(user_id, department_id) VALUES (1, 1), (2, 1)");
        apply.commit();
        owner_->execute(
            "GRANT USAGE ON SCHEMA peoplesync TO app;"
            "GRANT SELECT, UPDATE ON peoplesync.users TO app;"
            "GRANT SELECT, INSERT, DELETE ON peoplesync.memberships TO app");
        app_ = connect(PgServer::app_user, PgServer::app_password);
    }

    std::unique_ptr<Connection> connect(const std::string& user, const std::string& password) const {
        ConnectionSettings s;
        s.dsn = dsn(user);
        s.password = password;
        return std::make_unique<Connection>(s);
    }

    // The refusal of `sql` on `connection`, or "" when it ran.
    static std::string refusal(Connection& connection, const std::string& sql) {
        try {
            connection.execute(sql);
        } catch (const StatementError& e) {
            EXPECT_EQ(e.sqlstate(), "42501") << e.what();  // insufficient_privilege
            return e.what();
        }
        return "";
    }

    std::string value(const std::string& column, const std::string& hris_id) {
        return std::string(
            owner_->execute("SELECT " + column + "::text FROM peoplesync.users WHERE hris_id = $1", {hris_id})
                .text(0, 0));
    }

    std::unique_ptr<Connection> owner_, app_;
};

TEST_F(PgTrigger, AnotherRoleCannotChangeASyncedField) {
    const std::string message = refusal(*app_, "UPDATE peoplesync.users SET job_title = 'CTO' WHERE hris_id = 'W-1'");
    EXPECT_NE(message.find("job_title of W-1 is synced from the HRIS and read-only here (pipeline hr syncs it); "
                           "change it in the HRIS, or sync fewer fields"),
              std::string::npos)
        << message;
    EXPECT_EQ(value("job_title", "W-1"), "Engineer");
}

TEST_F(PgTrigger, EachSyncedFieldIsRefusedByItsName) {
    for (const auto& [field, set] :
         std::vector<std::pair<std::string, std::string>>{{"hris_id", "hris_id = 'W-9'"},
                                                          {"email", "email = 'x@example.com'"},
                                                          {"first_name", "first_name = 'Anne'"},
                                                          {"last_name", "last_name = 'Lee'"},
                                                          {"active", "active = false"},
                                                          {"manager", "manager_id = 2"},
                                                          {"profile_image", "profile_image_url = 'http://x/p.png'"}}) {
        SCOPED_TRACE(field);
        const std::string message = refusal(*app_, "UPDATE peoplesync.users SET " + set + " WHERE id = 1");
        EXPECT_NE(message.find(field + " of W-1 is synced from the HRIS"), std::string::npos) << message;
    }
}

TEST_F(PgTrigger, AnotherRoleMayChangeAFieldTheSyncLeavesAlone) {
    EXPECT_EQ(refusal(*app_, "UPDATE peoplesync.users SET phone_number = '+1 555 0100' WHERE hris_id = 'W-1'"), "");
    EXPECT_EQ(value("phone_number", "W-1"), "+1 555 0100");
    // W-2's pipeline does not sync job titles.
    EXPECT_EQ(refusal(*app_, "UPDATE peoplesync.users SET job_title = 'Lead Designer' WHERE hris_id = 'W-2'"), "");
    EXPECT_EQ(value("job_title", "W-2"), "Lead Designer");
    // A user nobody syncs: every field.
    EXPECT_EQ(refusal(*app_, "UPDATE peoplesync.users SET email = 'cy@example.org', active = false WHERE id = 3"), "");
    EXPECT_EQ(value("email", "U-3"), "cy@example.org");
}

TEST_F(PgTrigger, TheSinksOwnRoleOutsideAnApplyIsRefusedToo) {
    const std::string message =
        refusal(*owner_, "UPDATE peoplesync.users SET first_name = 'Annie' WHERE hris_id = 'W-1'");
    EXPECT_NE(message.find("first_name of W-1 is synced"), std::string::npos) << message;
}

TEST_F(PgTrigger, ThePipelinesApplyChangesSyncedFields) {
    Transaction apply(*owner_);
    postgres::begin_apply(*owner_, "peoplesync", "hr run 2");
    owner_->execute(
        "UPDATE peoplesync.users SET job_title = 'CTO', synced_field_set = 2, sync_hash = 42 WHERE hris_id = 'W-1'");
    owner_->execute("DELETE FROM peoplesync.memberships WHERE user_id = 1");
    apply.commit();
    EXPECT_EQ(value("job_title", "W-1"), "CTO");
    EXPECT_EQ(value("sync_hash", "W-1"), "42");
}

TEST_F(PgTrigger, AnotherRoleSettingTheMarkerIsStillRefused) {
    Transaction sneaky(*app_);
    app_->execute("SELECT set_config('peoplesync.apply', 'hr run 99', true)");
    const std::string message = refusal(*app_, "UPDATE peoplesync.users SET job_title = 'CTO' WHERE hris_id = 'W-1'");
    EXPECT_NE(message.find("job_title of W-1 is synced"), std::string::npos) << message;
}

TEST_F(PgTrigger, AnotherRoleSettingTheMarkerWithinItsStatementIsStillRefused) {
    const std::string message = refusal(*app_,
                                        "UPDATE peoplesync.users SET job_title = 'CTO' || "
                                        "left(set_config('peoplesync.apply', 'hr run 99', true), 0) "
                                        "WHERE hris_id = 'W-1' RETURNING set_config('peoplesync.apply', '', true)");
    EXPECT_NE(message.find("job_title of W-1 is synced"), std::string::npos) << message;
    EXPECT_EQ(value("job_title", "W-1"), "Engineer");
}

TEST_F(PgTrigger, SyncedDepartmentsMeanTheMembershipsAreReadOnly) {
    std::string message = refusal(*app_, "DELETE FROM peoplesync.memberships WHERE user_id = 1");
    EXPECT_NE(message.find("departments of W-1 is synced from the HRIS and read-only here (pipeline hr syncs it)"),
              std::string::npos)
        << message;
    message = refusal(*app_, "INSERT INTO peoplesync.memberships(user_id, department_id) VALUES (1, 2)");
    EXPECT_NE(message.find("departments of W-1 is synced"), std::string::npos) << message;
    // W-2's pipeline does not sync departments; U-3 is not synced.
    EXPECT_EQ(refusal(*app_, "DELETE FROM peoplesync.memberships WHERE user_id = 2"), "");
    EXPECT_EQ(refusal(*app_, "INSERT INTO peoplesync.memberships(user_id, department_id) VALUES (3, 1)"), "");
    EXPECT_EQ(owner_->execute("SELECT count(*) FROM peoplesync.memberships").integer(0, 0), 2);
}

TEST_F(PgTrigger, AnotherRoleCannotUnsyncAUser) {
    const std::string message = refusal(*app_, "UPDATE peoplesync.users SET synced = false WHERE hris_id = 'W-2'");
    EXPECT_NE(message.find("W-2 is synced from the HRIS by pipeline hr; only its runs change synced"),
              std::string::npos)
        << message;
    EXPECT_EQ(value("synced", "W-2"), "true");
}

}  // namespace
}  // namespace peoplesync::postgres_test
