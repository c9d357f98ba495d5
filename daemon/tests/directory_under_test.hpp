// The directory a pipeline test applies to: the `directory` sink's SQLite
// file, or, built with PEOPLESYNC_DIRECTORY_ON_POSTGRES, the `postgres`
// sink's schema in a database of the test's own on the real server that
// pg_server.hpp starts. The same tests run against both (pipeline_test.cpp
// in core_tests and in pipeline_postgres_tests): both sinks must leave the
// same users, departments, memberships and audit.
#pragma once

#include <filesystem>
#include <string>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#ifdef PEOPLESYNC_DIRECTORY_ON_POSTGRES
#include <cstdlib>

#include <Poco/Data/PostgreSQL/Connector.h>

#include "pg_server.hpp"
#endif

namespace peoplesync::testing {

class DirectoryUnderTest {
public:
#ifdef PEOPLESYNC_DIRECTORY_ON_POSTGRES
    static constexpr bool postgres = true;

    explicit DirectoryUnderTest(const std::filesystem::path&) {
        static int next = 0;
        Poco::Data::SQLite::Connector::registerConnector();  // the state's
        Poco::Data::PostgreSQL::Connector::registerConnector();
        database_ = "pipeline_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
        auto& server = postgres_test::pg_server();
        if (!server.running()) server.start();
        server.admin("CREATE DATABASE " + database_ + " OWNER " + postgres_test::PgServer::sink_user +
                     " STRATEGY FILE_COPY");
        // (Poco's connection string takes no libpq options.)
        server.admin("ALTER ROLE " + std::string(postgres_test::PgServer::sink_user) + " IN DATABASE " + database_ +
                     " SET search_path = peoplesync");
        ::setenv("PEOPLESYNC_TEST_PG_PASSWORD", postgres_test::PgServer::sink_password, 1);
    }
    ~DirectoryUnderTest() {
        try {
            postgres_test::pg_server().admin("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
        } catch (...) {
            // The server goes at the end of the process anyway.
        }
    }

    // The pipeline's sink, named `directory` as the SQLite one is.
    std::string sink_yaml() const {
        return "{type: postgres, name: directory, dsn: \"" + postgres_test::pg_server().dsn(database_) +
               "\", password_env: PEOPLESYNC_TEST_PG_PASSWORD}";
    }
    // Reads and writes see the sink's tables unqualified, as in SQLite.
    Poco::Data::Session session() const {
        return Poco::Data::Session("PostgreSQL", postgres_test::pg_server().dsn(database_) +
                                                     " password=" + postgres_test::PgServer::sink_password);
    }
    // SQL of the server's dialect, as the database's administrator.
    void administer(const std::string& sql) const {
        postgres_test::pg_server().admin("SET search_path TO peoplesync; " + sql, database_);
    }
    // As if the directory had never been written.
    void erase() const {
        administer("DROP SCHEMA IF EXISTS peoplesync CASCADE");
    }

private:
    std::string database_;
#else
    static constexpr bool postgres = false;

    explicit DirectoryUnderTest(const std::filesystem::path& dir) : file_(dir / "directory.db") {
        Poco::Data::SQLite::Connector::registerConnector();
    }

    std::string sink_yaml() const {
        return "{type: directory, database: directory.db}";
    }
    Poco::Data::Session session() const {
        return Poco::Data::Session("SQLite", file_.string());
    }
    void administer(const std::string& sql) const {
        auto s = session();
        s << sql, Poco::Data::Keywords::now;
    }
    void erase() const {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_.string() + suffix);
    }

private:
    std::filesystem::path file_;
#endif
};

}  // namespace peoplesync::testing
