// The shipped example: etc/postgres.yaml is etc/peoplesync.yaml's hr-csv
// pipeline with its sink line changed, and the sample export synced through
// each (the real CLI) leaves the same directory in PostgreSQL as in the
// SQLite file: the same users, departments, memberships, synced fields and
// audit, after a first run and after a run that changes, moves and removes
// people.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "connection.hpp"
#include "pg_server.hpp"
#include "test_dir.hpp"

namespace peoplesync::postgres_test {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The hr-csv pipeline's lines up to its sinks.
std::string hr_csv_pipeline(const std::string& config) {
    const auto start = config.find("  - name: hr-csv");
    const auto end = config.find("    sinks:", start);
    if (start == std::string::npos || end == std::string::npos) return "";
    return config.substr(start, end - start);
}

// What both directories are compared by: every row as text, ids left out
// (each database numbers its own), in a stable order.
const std::vector<std::string> comparisons = {
    "SELECT coalesce(u.hris_id, '') || '|' || u.email || '|' || u.first_name || '|' || u.last_name || '|' || "
    "u.job_title || '|' || u.phone_number || '|' || u.employee_id || '|' || u.hire_date || '|' || "
    "CAST(CAST(u.active AS INTEGER) AS TEXT) || '|' || CAST(CAST(u.synced AS INTEGER) AS TEXT) || '|' || "
    "coalesce(m.hris_id, '') || '|' || coalesce(f.fields, '') FROM users u LEFT JOIN users m ON m.id = "
    "u.manager_id LEFT JOIN field_sets f ON f.id = u.synced_field_set ORDER BY 1",
    "WITH RECURSIVE paths(id, path, synced) AS (SELECT id, name, CAST(synced AS INTEGER) FROM departments WHERE "
    "parent_id = 0 UNION ALL SELECT d.id, p.path || ' > ' || d.name, CAST(d.synced AS INTEGER) FROM departments d "
    "JOIN paths p ON d.parent_id = p.id) SELECT path || '|' || CAST(synced AS TEXT) FROM paths ORDER BY 1",
    "WITH RECURSIVE paths(id, path) AS (SELECT id, name FROM departments WHERE parent_id = 0 UNION ALL SELECT d.id, "
    "p.path || ' > ' || d.name FROM departments d JOIN paths p ON d.parent_id = p.id) SELECT coalesce(u.hris_id, "
    "'') || ': ' || p.path FROM memberships ms JOIN users u ON u.id = ms.user_id JOIN paths p ON p.id = "
    "ms.department_id ORDER BY 1",
    "SELECT CAST(a.run_id AS TEXT) || '|' || coalesce(u.hris_id, '-') || '|' || a.action || '|' || a.field || '|' "
    "|| a.old_value || '|' || a.new_value FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.id",
    "SELECT CAST(run_id AS TEXT) || '|' || pipeline FROM audit_runs ORDER BY 1",
};

class PgExampleConfig : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-pg-example");
        std::filesystem::create_directories(dir_ / "sqlite");
        std::filesystem::create_directories(dir_ / "postgres");
        std::filesystem::copy_file(PEOPLESYNC_SOURCE_DIR "/samples/employees.csv", dir_ / "employees.csv");
        std::filesystem::copy_file(PEOPLESYNC_SOURCE_DIR "/etc/peoplesync.yaml", dir_ / "sqlite/peoplesync.yaml");
        std::filesystem::copy_file(PEOPLESYNC_SOURCE_DIR "/etc/postgres.yaml", dir_ / "postgres/peoplesync.yaml");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // `peoplesync ARGS` on the configuration in `folder`; its status, and its output on failure.
    int cli(const std::string& folder, std::vector<std::string> args, std::string* output = nullptr,
            int expected_status = 0) {
        args.insert(args.begin(), {"--config", (dir_ / folder / "peoplesync.yaml").string()});
        Poco::Process::Env env;
        env["PEOPLESYNC_VAR"] = (dir_ / folder / "var").string();
        env["PEOPLESYNC_EXPORT"] = (dir_ / "employees.csv").string();
        env["PEOPLESYNC_PG_DSN"] = dsn();
        env["PEOPLESYNC_PG_PASSWORD"] = PgServer::sink_password;
        Poco::Pipe out;
        auto handle = Poco::Process::launch(PEOPLESYNC_CLI, args, (dir_ / folder).string(), nullptr, &out, &out, env);
        Poco::PipeInputStream stream(out);
        std::string text;
        Poco::StreamCopier::copyToString(stream, text);
        if (output != nullptr) *output = text;
        const int status = handle.wait();
        EXPECT_EQ(status, expected_status) << "peoplesync " << args[2] << " (" << folder << "): " << text;
        return status;
    }

    void run_both() {
        for (const char* folder : {"sqlite", "postgres"}) cli(folder, {"run", "hr-csv"});
    }

    std::vector<std::string> sqlite_rows(const std::string& query) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2((dir_ / "sqlite/var/directory.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
                  SQLITE_OK);
        std::vector<std::string> rows;
        char* error = nullptr;
        sqlite3_exec(
            db, query.c_str(),
            [](void* out, int, char** values, char**) {
                static_cast<std::vector<std::string>*>(out)->emplace_back(values[0] != nullptr ? values[0] : "NULL");
                return 0;
            },
            &rows, &error);
        EXPECT_EQ(error, nullptr) << error;
        sqlite3_free(error);
        sqlite3_close(db);
        return rows;
    }

    std::vector<std::string> postgres_rows(const std::string& query) {
        postgres::ConnectionSettings settings;
        settings.dsn = dsn();
        settings.password = PgServer::sink_password;
        postgres::Connection c(settings);
        c.execute("SET search_path = peoplesync");
        const postgres::Result result = c.execute(query);
        std::vector<std::string> rows;
        for (int row = 0; row < result.rows(); ++row)
            rows.emplace_back(result.is_null(row, 0) ? "NULL" : std::string(result.text(row, 0)));
        return rows;
    }

    void expect_the_same_directory() {
        for (const std::string& query : comparisons) {
            const auto in_sqlite = sqlite_rows(query);
            EXPECT_FALSE(in_sqlite.empty()) << query;
            EXPECT_EQ(postgres_rows(query), in_sqlite) << query;
        }
    }

    void replace_in_export(const std::string& from, const std::string& to) {
        std::string text = read_file(dir_ / "employees.csv");
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
        std::ofstream(dir_ / "employees.csv") << text;
    }

    std::filesystem::path dir_;
};

TEST_F(PgExampleConfig, ThePostgresExampleIsTheSqlitePipelineWithAnotherSinkLine) {
    const std::string sqlite = read_file(PEOPLESYNC_SOURCE_DIR "/etc/peoplesync.yaml");
    const std::string postgres = read_file(PEOPLESYNC_SOURCE_DIR "/etc/postgres.yaml");
    ASSERT_FALSE(hr_csv_pipeline(sqlite).empty());
    EXPECT_EQ(hr_csv_pipeline(postgres), hr_csv_pipeline(sqlite));
    EXPECT_NE(postgres.find("      - type: postgres\n"), std::string::npos);
}

TEST_F(PgExampleConfig, TheSampleExportLeavesTheSameDirectoryInBothDatabases) {
    for (const char* folder : {"sqlite", "postgres"}) cli(folder, {"enable", "hr-csv"});
    run_both();
    expect_the_same_directory();
    // A promotion, a move to a department that is new, a departure.
    replace_in_export("W-10002,E1002,José,Álvarez,jose.alvarez@example.com,VP Engineering,Engineering",
                      "W-10002,E1002,José,Álvarez,jose.alvarez@example.com,CTO,Engineering|Research");
    std::string text = read_file(dir_ / "employees.csv");
    text = text.substr(0, text.rfind('\n', text.size() - 2) + 1);  // the last person leaves
    std::ofstream(dir_ / "employees.csv") << text;
    run_both();
    expect_the_same_directory();
    const auto audit = postgres_rows(comparisons[3]);
    EXPECT_NE(std::find(audit.begin(), audit.end(), "2|W-10002|updated|job_title|VP Engineering|CTO"), audit.end());
    // The same read-only rule, in the same words.
    std::string in_sqlite, in_postgres;
    cli("sqlite", {"directory", "set", "W-10002", "job_title", "Boss"}, &in_sqlite, 1);
    cli("postgres", {"directory", "set", "W-10002", "job_title", "Boss"}, &in_postgres, 1);
    EXPECT_NE(in_sqlite.find("job_title of W-10002 is synced from the HRIS and read-only here"), std::string::npos)
        << in_sqlite;
    EXPECT_EQ(in_postgres, in_sqlite);
}

}  // namespace
}  // namespace peoplesync::postgres_test
