// A real PostgreSQL 15 server for the tests: initdb in a temporary folder
// (as the postgres user when the tests run as root, since PostgreSQL
// refuses to run as root), trust on its Unix socket for the administrator,
// passwords (SCRAM) on a free port of 127.0.0.1, TLS with a certificate for
// 127.0.0.1 made for the run. One server per test process (PgEnvironment),
// stopped at the end whether the tests passed or not, and by a watchdog if
// the process dies; a fresh database per test (PgTest).
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace peoplesync::postgres_test {

class PgServer {
public:
    // Logins on 127.0.0.1, with passwords: the sink's role (owns each test's
    // database) and another application's.
    static constexpr const char* sink_user = "peoplesync";
    static constexpr const char* sink_password = "Sink-Pa55word";
    static constexpr const char* app_user = "app";
    static constexpr const char* app_password = "App-Pa55word";

    PgServer();
    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    void start();
    void stop();            // pg_ctl stop -m fast
    void stop_immediate();  // pg_ctl stop -m immediate: the server goes away mid-statement
    bool running() const { return running_; }

    int port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path ca_file() const { return dir_ / "ca.crt"; }
    std::filesystem::path other_ca_file() const { return dir_ / "other-ca.crt"; }
    // The administrator's connection string (Unix socket, trust).
    std::string admin_dsn(const std::string& database = "postgres") const;
    // A TCP connection string without a password.
    std::string dsn(const std::string& database, const std::string& user = sink_user) const;
    // Runs SQL as the administrator; throws with the server's message.
    void admin(const std::string& sql, const std::string& database = "postgres") const;

private:
    std::string as_postgres(const std::string& command) const;
    void run(const std::string& command, const std::string& log) const;

    std::filesystem::path dir_;
    int port_ = 0;
    bool running_ = false;
};

// The server of this test process (started by PgEnvironment).
PgServer& pg_server();

// A new database owned by PgServer::sink_user, on the server (started again
// if a test stopped it); its name.
std::string fresh_database();

// A test with a database of its own, owned by PgServer::sink_user.
class PgTest : public ::testing::Test {
protected:
    void SetUp() override;
    const std::string& database() const { return database_; }
    // The sink role's connection string for this test's database, without a password.
    std::string dsn(const std::string& user = PgServer::sink_user) const { return pg_server().dsn(database_, user); }

private:
    std::string database_;
};

}  // namespace peoplesync::postgres_test
