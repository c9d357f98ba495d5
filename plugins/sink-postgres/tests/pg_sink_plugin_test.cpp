// The built plugin as the daemon loads it: its options checked before it
// is made, the password read from the environment, the schema made on first
// use, and a run recorded in its transaction.
#include <cstdlib>

#include <gtest/gtest.h>

#include <peoplesync/testing.hpp>

#include "connection.hpp"
#include "pg_server.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

using peoplesync::testing::MemoryHost;
using peoplesync::testing::options;
using peoplesync::testing::PluginFile;

class PgSinkPlugin : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        ::setenv("PEOPLESYNC_TEST_PG_PASSWORD", PgServer::sink_password, 1);
    }
    void TearDown() override { ::unsetenv("PEOPLESYNC_TEST_PG_PASSWORD"); }

    std::shared_ptr<Sink> make(std::initializer_list<std::pair<std::string, std::string>> values) {
        return plugin_.make_sink(options(values), host_);
    }

    // Why making the sink with these options fails.
    std::string refusal(std::initializer_list<std::pair<std::string, std::string>> values) {
        try {
            make(values);
        } catch (const ConfigError& e) {
            return e.what();
        }
        ADD_FAILURE() << "the options were taken";
        return "";
    }

    PluginFile plugin_ = PluginFile::load(PEOPLESYNC_POSTGRES_PLUGIN);
    MemoryHost host_{".", "hr"};
};

TEST_F(PgSinkPlugin, IsASinkWithItsOptions) {
    EXPECT_EQ(plugin_.info().kind, PluginKind::sink);
    EXPECT_EQ(plugin_.info().type, "postgres");
    std::vector<std::string> names;
    for (const auto& option : plugin_.info().options) names.push_back(option.name);
    EXPECT_EQ(names, (std::vector<std::string>{"dsn", "password_env", "schema", "connect_timeout_secs",
                                               "statement_timeout_secs", "sslmode", "sslrootcert"}));
}

TEST_F(PgSinkPlugin, MakesTheSchemaOnFirstUseAndRecordsEachRun) {
    auto sink = make({{"dsn", dsn()}, {"password_env", "PEOPLESYNC_TEST_PG_PASSWORD"}, {"schema", "people"}});
    const std::string before = sink->state_token();
    auto* ledger = dynamic_cast<RunLedger*>(sink.get());
    ASSERT_NE(ledger, nullptr);
    EXPECT_FALSE(ledger->applied(1));
    sink->apply(Snapshot{}, ChangeSet{}, ApplyContext{1, "hr"});
    EXPECT_TRUE(ledger->applied(1));
    EXPECT_FALSE(ledger->applied(2));
    EXPECT_NE(sink->state_token(), before) << "a run raises the generation";
    postgres::ConnectionSettings s;
    s.dsn = dsn();
    s.password = PgServer::sink_password;
    postgres::Connection check(s);
    EXPECT_EQ(check.execute("SELECT max(version) FROM people.schema_versions").integer(0, 0), postgres::schema_version);
}

TEST_F(PgSinkPlugin, AWrongPasswordFailsTheRunSayingWhere) {
    ::setenv("PEOPLESYNC_TEST_PG_PASSWORD", "Not-The-Pa55word", 1);
    auto sink = make({{"dsn", dsn()}, {"password_env", "PEOPLESYNC_TEST_PG_PASSWORD"}});
    try {
        sink->apply(Snapshot{}, ChangeSet{}, ApplyContext{1, "hr"});
        FAIL() << "connected with a wrong password";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("port " + std::to_string(pg_server().port()) + " user peoplesync"), std::string::npos)
            << message;
        EXPECT_NE(message.find("the server refused the password"), std::string::npos) << message;
        EXPECT_EQ(message.find("Not-The-Pa55word"), std::string::npos) << message;
    }
}

TEST_F(PgSinkPlugin, BadOptionsAreRefusedBeforeAnyConnection) {
    EXPECT_NE(refusal({{"dsn", dsn()}, {"schema", "People"}}).find("schema: the schema name \"People\""),
              std::string::npos);
    EXPECT_NE(refusal({{"dsn", dsn()}, {"sslmode", "sometimes"}}).find("sslmode"), std::string::npos);
    EXPECT_NE(refusal({{"dsn", dsn()}, {"password_env", "PEOPLESYNC_TEST_PG_UNSET"}})
                  .find("the environment variable PEOPLESYNC_TEST_PG_UNSET is not set"),
              std::string::npos);
    EXPECT_NE(refusal({{"dsn", dsn()}, {"password_env", "Sink-Pa55word!"}}).find("not the value itself"),
              std::string::npos);
    EXPECT_NE(refusal({{"dsn", dsn()}, {"connect_timeout_secs", "1"}}).find("connect_timeout_secs"), std::string::npos);
    EXPECT_NE(refusal({{"dsn", ""}}).find("the dsn is empty"), std::string::npos);
}

}  // namespace
}  // namespace peoplesync::postgres_test
