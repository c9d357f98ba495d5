// The users table's columns and the read-only trigger come from the SDK's
// field table: a schema made before a field was in the table (simulated by
// dropping hire_date's column and its branch of the trigger function) gets
// the column when it is next opened, keeping its rows, and the trigger
// guards the field again.
#include <sstream>

#include <gtest/gtest.h>

#include "directory_reads.hpp"
#include "pg_server.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

using postgres::Connection;
using postgres::ConnectionSettings;
using postgres::StatementError;
using postgres::Transaction;

class PgFieldColumns : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        owner_ = connect(PgServer::sink_user, PgServer::sink_password);
        postgres::migrate(*owner_, "peoplesync");
        Transaction apply(*owner_);
        postgres::begin_apply(*owner_, "peoplesync", "hr run 1");
        owner_->execute(
            "INSERT INTO peoplesync.field_sets(id, fields) VALUES "
            "(1, 'hris_id,email,first_name,last_name,active,hire_date');"
            "INSERT INTO peoplesync.users(id, hris_id, email, first_name, synced, synced_field_set, synced_pipeline) "
            "VALUES (1, 'W-1', 'ann@example.com', 'Ann', true, 1, 'hr')");
        apply.commit();
        owner_->execute(
            "GRANT USAGE ON SCHEMA peoplesync TO app;"
            "GRANT SELECT, UPDATE ON peoplesync.users TO app");
    }

    std::unique_ptr<Connection> connect(const std::string& user, const std::string& password) const {
        ConnectionSettings s;
        s.dsn = dsn(user);
        s.password = password;
        return std::make_unique<Connection>(s);
    }

    // The schema as a build from before hire_date was in the table left it.
    void forget_hire_date() {
        owner_->execute("ALTER TABLE peoplesync.users DROP COLUMN hire_date");
        const std::string definition(
            owner_->execute("SELECT pg_get_functiondef('peoplesync.users_synced_read_only()'::regprocedure)")
                .text(0, 0));
        std::istringstream lines(definition);
        std::string without, line;
        while (std::getline(lines, line))
            if (line.find("'hire_date'") == std::string::npos) without += line + "\n";
        ASSERT_NE(without, definition + "\n") << "the trigger function has no branch for hire_date: " << definition;
        owner_->execute(without);
    }

    bool has_column(const std::string& column) {
        return owner_
                   ->execute(
                       "SELECT 1 FROM information_schema.columns WHERE table_schema = 'peoplesync' "
                       "AND table_name = 'users' AND column_name = $1",
                       {column})
                   .rows() == 1;
    }

    std::string function_version() {
        return std::string(
            owner_
                ->execute(
                    "SELECT xmin::text FROM pg_proc WHERE oid = 'peoplesync.users_synced_read_only()'::regprocedure")
                .text(0, 0));
    }

    std::unique_ptr<Connection> owner_;
};

TEST_F(PgFieldColumns, AMissingColumnIsAddedOnOpenKeepingTheRows) {
    forget_hire_date();
    ASSERT_FALSE(has_column("hire_date"));
    postgres::migrate(*owner_, "peoplesync");
    EXPECT_TRUE(has_column("hire_date"));
    EXPECT_EQ(owner_->execute("SELECT count(*) FROM peoplesync.schema_versions").integer(0, 0),
              postgres::schema_version);  // no step of its own
    const auto users = owner_->execute("SELECT first_name, hire_date FROM peoplesync.users WHERE hris_id = 'W-1'");
    ASSERT_EQ(users.rows(), 1);
    EXPECT_EQ(users.text(0, 0), "Ann");
    EXPECT_EQ(users.text(0, 1), "");
    // The reads walk the table too: the column is read into the record.
    {
        Transaction apply(*owner_);
        postgres::begin_apply(*owner_, "peoplesync", "hr run 2");
        owner_->execute("UPDATE peoplesync.users SET hire_date = '2021-04-01' WHERE id = 1");
        apply.commit();
    }
    const std::vector<std::int64_t> ids{1};
    const auto records = postgres::read_records(*owner_, "peoplesync", ids);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].user.hire_date, "2021-04-01");
    EXPECT_EQ(records[0].user.first_name, "Ann");
}

TEST_F(PgFieldColumns, TheAddedFieldIsReadOnlyWhenSynced) {
    forget_hire_date();
    postgres::migrate(*owner_, "peoplesync");
    auto app = connect(PgServer::app_user, PgServer::app_password);
    try {
        app->execute("UPDATE peoplesync.users SET hire_date = '1999-01-01' WHERE hris_id = 'W-1'");
        ADD_FAILURE() << "another role changed a synced hire_date";
    } catch (const StatementError& e) {
        EXPECT_EQ(e.sqlstate(), "42501") << e.what();
        EXPECT_NE(std::string(e.what()).find("hire_date of W-1 is synced from the HRIS and read-only here (pipeline "
                                             "hr syncs it)"),
                  std::string::npos)
            << e.what();
    }
    // A field the pipeline does not sync stays editable.
    app->execute("UPDATE peoplesync.users SET job_title = 'Engineer' WHERE hris_id = 'W-1'");
}

TEST_F(PgFieldColumns, OpeningAnUpToDateSchemaLeavesTheTriggerFunctionAlone) {
    const std::string before = function_version();
    postgres::migrate(*owner_, "peoplesync");
    EXPECT_EQ(function_version(), before);
}

}  // namespace
}  // namespace peoplesync::postgres_test
