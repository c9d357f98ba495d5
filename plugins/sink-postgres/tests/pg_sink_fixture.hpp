// A test of the built postgres plugin as the daemon loads it: the sink made
// from its options with the password in the environment (password_env),
// on this test's database, and connections of the test's own to look.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include <peoplesync/testing.hpp>

#include "connection.hpp"
#include "pg_server.hpp"

namespace peoplesync::postgres_test {

class PgSinkTest : public PgTest {
protected:
    static constexpr const char* password_variable = "PEOPLESYNC_TEST_PG_PASSWORD";

    void SetUp() override {
        PgTest::SetUp();
        ::setenv(password_variable, PgServer::sink_password, 1);
    }
    void TearDown() override { ::unsetenv(password_variable); }

    // The sink on this test's database, in the schema `peoplesync`.
    std::shared_ptr<Sink> make_sink() {
        return plugin_.make_sink(peoplesync::testing::options({{"dsn", dsn()}, {"password_env", password_variable}}),
                                 host_);
    }

    // The sink's role on this test's database.
    postgres::Connection connect(const std::string& application_name = "test observer") const {
        postgres::ConnectionSettings settings;
        settings.dsn = dsn();
        settings.password = PgServer::sink_password;
        settings.application_name = application_name;
        return postgres::Connection(settings);
    }

    peoplesync::testing::PluginFile plugin_ = peoplesync::testing::PluginFile::load(PEOPLESYNC_POSTGRES_PLUGIN);
    peoplesync::testing::MemoryHost host_{".", "hr"};
};

}  // namespace peoplesync::postgres_test
