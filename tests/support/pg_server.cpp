#include "pg_server.hpp"

#include "free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include <libpq-fe.h>

namespace peoplesync::postgres_test {

using testing::free_port;

namespace fs = std::filesystem;

namespace {

constexpr const char* bin = "/usr/lib/postgresql/15/bin/";
constexpr const char* admin_user = "admin";

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

bool as_root() {
    return ::geteuid() == 0;
}

}  // namespace

PgServer::PgServer() {
    if (!fs::exists(std::string(bin) + "postgres"))
        throw std::runtime_error(std::string("PostgreSQL 15 is not installed (no ") + bin +
                                 "postgres); run scripts/setup");
    std::string pattern = (fs::temp_directory_path() / "peoplesync-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temporary folder");
    dir_ = pattern;
    if (as_root()) {
        const passwd* postgres = ::getpwnam("postgres");
        if (postgres == nullptr) throw std::runtime_error("running as root, but there is no postgres user to run as");
        if (::chown(dir_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0)
            throw std::runtime_error("cannot give " + dir_.string() + " to the postgres user");
    }
    const std::string d = dir_.string();
    // Stops the server if this process dies before it does (a crash skips
    // every destructor), and removes the folder; from here on.
    run("nohup sh -c 'while kill -0 " + std::to_string(::getpid()) + " 2>/dev/null; do sleep 0.5; done; " +
            as_postgres(std::string(bin) + "pg_ctl -D " + d + "/data stop -m immediate") + "; rm -rf " + d +
            "' >/dev/null 2>&1 &",
        "watchdog.log");
    // A CA, the server's certificate for 127.0.0.1 signed by it, and a
    // second CA that signed nothing (for a verification that fails).
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2";
    run("openssl req -x509 " + key + " -subj /CN=peoplesync-test-ca -keyout " + d + "/ca.key -out " + d +
            "/ca.crt && openssl req -new " + key + " -subj /CN=127.0.0.1 -keyout " + d + "/server.key -out " + d +
            "/server.csr && printf 'subjectAltName=IP:127.0.0.1\\n' > " + d + "/san.ext && openssl x509 -req -in " + d +
            "/server.csr -CA " + d + "/ca.crt -CAkey " + d + "/ca.key -CAcreateserial -days 2 -extfile " + d +
            "/san.ext -out " + d + "/server.crt && openssl req -x509 " + key + " -subj /CN=other-ca -keyout " + d +
            "/other-ca.key -out " + d + "/other-ca.crt" +
            (as_root() ? " && chown postgres:postgres " + d + "/server.key " + d + "/server.crt" : "") +
            " && chmod 600 " + d + "/server.key",
        "openssl.log");
    run(as_postgres(std::string(bin) + "initdb -D " + d + "/data -U " + admin_user +
                    " --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C"),
        "initdb.log");
    start();
    admin(std::string("CREATE ROLE ") + sink_user + " LOGIN CREATEDB PASSWORD '" + sink_password + "'");
    admin(std::string("CREATE ROLE ") + app_user + " LOGIN PASSWORD '" + app_password + "'");
}

PgServer::~PgServer() {
    try {
        stop();
    } catch (...) {
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

std::string PgServer::as_postgres(const std::string& command) const {
    return as_root() ? "runuser -u postgres -- " + command : command;
}

void PgServer::run(const std::string& command, const std::string& log) const {
    const fs::path log_file = dir_ / log;
    const int status = std::system(("(" + command + ") >" + log_file.string() + " 2>&1").c_str());
    if (status != 0)
        throw std::runtime_error("`" + command + "` failed (status " + std::to_string(status) + "):\n" +
                                 read_text(log_file));
}

void PgServer::start() {
    const std::string d = dir_.string();
    std::string error;
    // A port taken between free_port() and the server binding it makes
    // the start fail: a few attempts.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const int port = port_ != 0 && attempt == 0 ? port_ : free_port();
        try {
            run(as_postgres(std::string(bin) + "pg_ctl -D " + d + "/data -l " + d + "/server.log -w -t 30 -o \"-p " +
                            std::to_string(port) + " -k " + d +
                            " -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on -c ssl_cert_file=" + d +
                            "/server.crt -c ssl_key_file=" + d + "/server.key\" start"),
                "pg_ctl.log");
            port_ = port;
            running_ = true;
            return;
        } catch (const std::exception& e) {
            error = e.what() + std::string("\n") + read_text(dir_ / "server.log");
        }
    }
    throw std::runtime_error("cannot start PostgreSQL in " + d + ": " + error);
}

void PgServer::stop() {
    if (!running_) return;
    run(as_postgres(std::string(bin) + "pg_ctl -D " + dir_.string() + "/data -w stop -m fast"), "pg_ctl.log");
    running_ = false;
}

void PgServer::stop_immediate() {
    if (!running_) return;
    run(as_postgres(std::string(bin) + "pg_ctl -D " + dir_.string() + "/data -w stop -m immediate"), "pg_ctl.log");
    running_ = false;
}

std::string PgServer::admin_dsn(const std::string& database) const {
    return "host=" + dir_.string() + " port=" + std::to_string(port_) + " user=" + admin_user + " dbname=" + database;
}

std::string PgServer::dsn(const std::string& database, const std::string& user) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user + " dbname=" + database;
}

void PgServer::admin(const std::string& sql, const std::string& database) const {
    std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(admin_dsn(database).c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK)
        throw std::runtime_error("cannot connect as the administrator: " + std::string(PQerrorMessage(conn.get())));
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        throw std::runtime_error("`" + sql + "` failed: " + PQerrorMessage(conn.get()));
}

namespace {

PgServer* server = nullptr;

class PgEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        try {
            server = new PgServer();
        } catch (const std::exception& e) {
            FAIL() << e.what();
        }
    }
    void TearDown() override {
        delete server;
        server = nullptr;
    }
};

[[maybe_unused]] const auto* const environment = ::testing::AddGlobalTestEnvironment(new PgEnvironment);

}  // namespace

PgServer& pg_server() {
    if (server == nullptr) throw std::runtime_error("the PostgreSQL server did not start; see the first failure");
    return *server;
}

std::string fresh_database() {
    static std::atomic<int> next{0};
    const std::string database = "test_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
    if (!pg_server().running()) pg_server().start();
    pg_server().admin("CREATE DATABASE " + database + " OWNER " + PgServer::sink_user + " STRATEGY FILE_COPY");
    return database;
}

void PgTest::SetUp() {
    database_ = fresh_database();
}

}  // namespace peoplesync::postgres_test
