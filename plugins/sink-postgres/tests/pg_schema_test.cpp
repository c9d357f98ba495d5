// The schema's migrations: made from nothing in one step, a second open
// changes nothing, a schema from a newer build is refused and left as it
// is, two processes opening at once both succeed.
#include <thread>

#include <gtest/gtest.h>

#include "pg_server.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

using postgres::Connection;
using postgres::ConnectionSettings;

class PgSchema : public PgTest {
protected:
    Connection connect() const {
        ConnectionSettings s;
        s.dsn = dsn();
        s.password = PgServer::sink_password;
        return Connection(s);
    }
};

std::vector<std::string> tables(Connection& connection, const std::string& schema) {
    auto result = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", {schema});
    std::vector<std::string> out;
    for (int row = 0; row < result.rows(); ++row) out.emplace_back(result.text(row, 0));
    return out;
}

TEST_F(PgSchema, MigratesFromNothingToThisBuildsVersion) {
    Connection connection = connect();
    EXPECT_EQ(postgres::stored_version(connection, "people"), 0);
    postgres::migrate(connection, "people");
    EXPECT_EQ(postgres::stored_version(connection, "people"), postgres::schema_version);
    EXPECT_EQ(tables(connection, "people"),
              (std::vector<std::string>{"audit_log", "audit_runs", "departments", "directory_meta", "field_sets",
                                        "memberships", "schema_versions", "users"}));
    auto meta = connection.execute("SELECT key FROM people.directory_meta ORDER BY key");
    ASSERT_EQ(meta.rows(), 2);
    EXPECT_EQ(meta.text(0, 0), "generation");
    EXPECT_EQ(meta.text(1, 0), "instance");
    // Nothing outside its schema.
    EXPECT_TRUE(tables(connection, "public").empty());
}

TEST_F(PgSchema, OpeningAgainChangesNothing) {
    Connection connection = connect();
    postgres::migrate(connection, "peoplesync");
    connection.execute("INSERT INTO peoplesync.users(hris_id, email) VALUES ('W-1', 'ann@example.com')");
    const std::string instance(
        connection.execute("SELECT value FROM peoplesync.directory_meta WHERE key = 'instance'").text(0, 0));
    Connection other = connect();
    postgres::migrate(other, "peoplesync");
    EXPECT_EQ(connection.execute("SELECT count(*) FROM peoplesync.schema_versions").integer(0, 0),
              postgres::schema_version);
    EXPECT_EQ(connection.execute("SELECT email FROM peoplesync.users WHERE hris_id = 'W-1'").text(0, 0),
              "ann@example.com");
    EXPECT_EQ(connection.execute("SELECT value FROM peoplesync.directory_meta WHERE key = 'instance'").text(0, 0),
              instance);
}

TEST_F(PgSchema, ASchemaFromANewerBuildIsRefusedAndLeftAsItIs) {
    Connection connection = connect();
    postgres::migrate(connection, "peoplesync");
    connection.execute("INSERT INTO peoplesync.users(hris_id, email) VALUES ('W-1', 'ann@example.com')");
    const int newer = postgres::schema_version + 1;
    connection.execute("INSERT INTO peoplesync.schema_versions(version) VALUES ($1)", {std::to_string(newer)});
    try {
        postgres::migrate(connection, "peoplesync");
        FAIL() << "a schema at version " << newer << " was opened";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("schema peoplesync was written by a newer peoplesync (schema version " +
                               std::to_string(newer) + ", this build knows " +
                               std::to_string(postgres::schema_version) + ")"),
                  std::string::npos)
            << message;
        EXPECT_NE(message.find("database " + database()), std::string::npos) << message;
    }
    EXPECT_EQ(postgres::stored_version(connection, "peoplesync"), newer);
    EXPECT_EQ(connection.execute("SELECT count(*) FROM peoplesync.users").integer(0, 0), 1);
}

TEST_F(PgSchema, AFailedMigrationLeavesNothingBehind) {
    Connection connection = connect();
    // A schema of the same name that someone else made, with a users table.
    connection.execute("CREATE SCHEMA peoplesync; CREATE TABLE peoplesync.users (name text)");
    try {
        postgres::migrate(connection, "peoplesync");
        FAIL() << "migrated over another application's users table";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot migrate it to version 1, nothing changed"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(tables(connection, "peoplesync"), std::vector<std::string>{"users"});
}

TEST_F(PgSchema, TwoProcessesOpeningAtOnceBothSucceed) {
    std::string errors[2];
    std::thread openers[2];
    for (int i = 0; i < 2; ++i)
        openers[i] = std::thread([&, i] {
            try {
                Connection connection = connect();
                postgres::migrate(connection, "peoplesync");
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
        });
    for (auto& opener : openers) opener.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    Connection connection = connect();
    EXPECT_EQ(connection.execute("SELECT count(*) FROM peoplesync.schema_versions").integer(0, 0),
              postgres::schema_version);
}

TEST(PgSchemaName, OnlyPlainLowerCaseIdentifiers) {
    EXPECT_EQ(postgres::checked_schema_name("people_2"), "people_2");
    for (const char* bad : {"", "People", "1people", "a-b", "a\"b", "pg_people"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(postgres::checked_schema_name(bad), Error);
    }
    EXPECT_THROW(postgres::checked_schema_name(std::string(64, 'a')), Error);
}

}  // namespace
}  // namespace peoplesync::postgres_test
