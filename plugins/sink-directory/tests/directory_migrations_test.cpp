// The directory's numbered schema migrations (PRAGMA user_version): a
// database left by each earlier build opens, keeps its rows and takes runs;
// one written by a newer build, one of the very first development build's
// format, and a file that is not a database are refused with a clear error.
#include <fstream>

#include <gtest/gtest.h>

#include "sqlite_statement.hpp"
#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync {
namespace {

// The directory as the builds before schema versions left it, step by step
// (from the history of plugins/sink-directory/src): each entry is what one
// more step added.
const std::vector<std::string> earlier_schemas = {
    // 28 November 2026: the first schema this build reads.
    "CREATE TABLE users (id INTEGER PRIMARY KEY, hris_id TEXT, email TEXT NOT NULL, first_name TEXT NOT NULL "
    "DEFAULT '', last_name TEXT NOT NULL DEFAULT '', job_title TEXT NOT NULL DEFAULT '', phone_number TEXT NOT "
    "NULL DEFAULT '', employee_id TEXT NOT NULL DEFAULT '', hire_date TEXT NOT NULL DEFAULT '', profile_image_url "
    "TEXT NOT NULL DEFAULT '', profile_image_last_modified TEXT NOT NULL DEFAULT '', profile_image_cache_info TEXT "
    "NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1, manager_id INTEGER, synced INTEGER NOT NULL DEFAULT "
    "0, synced_fields TEXT NOT NULL DEFAULT '', sync_hash INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL "
    "DEFAULT '');"
    "CREATE TABLE departments (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL DEFAULT 0, name TEXT NOT NULL, "
    "synced INTEGER NOT NULL DEFAULT 0, UNIQUE(parent_id, name));"
    "CREATE TABLE memberships (user_id INTEGER NOT NULL, department_id INTEGER NOT NULL, PRIMARY KEY(user_id, "
    "department_id)) WITHOUT ROWID;"
    "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, user_id INTEGER, action TEXT NOT "
    "NULL, field TEXT NOT NULL DEFAULT '', old_value TEXT NOT NULL DEFAULT '', new_value TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE audit_runs (run_id INTEGER PRIMARY KEY, pipeline TEXT NOT NULL, at TEXT NOT NULL);"
    "CREATE UNIQUE INDEX users_by_hris_id ON users(hris_id);"
    "CREATE INDEX memberships_by_department ON memberships(department_id);"
    "CREATE INDEX audit_by_run ON audit_log(run_id);"
    "INSERT INTO users(id, hris_id, email, first_name, job_title, synced, synced_fields, sync_hash) "
    "VALUES(7, 'W-7', 'old@example.com', 'Olga', 'Keeper', 1, 'email,first_name,job_title', 42);"
    "INSERT INTO users(id, email, first_name) VALUES(8, 'hand@example.com', 'Hand');"
    "INSERT INTO departments(id, name, synced) VALUES(1, 'Archive', 1);"
    "INSERT INTO memberships VALUES(7, 1);"
    "INSERT INTO audit_log(run_id, user_id, action) VALUES(1, 7, 'created');"
    "INSERT INTO audit_runs VALUES(1, 'test', '2026-11-28T16:00:00Z');",
    // 29 November: the state token's parts.
    "CREATE TABLE directory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO directory_meta VALUES('instance', 'abc'), ('generation', '3');",
    // 29 November: field sets.
    "CREATE TABLE field_sets (id INTEGER PRIMARY KEY, fields TEXT NOT NULL UNIQUE);"
    "ALTER TABLE users ADD COLUMN synced_field_set INTEGER NOT NULL DEFAULT 0;",
};

class DirectoryMigrations : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("peoplesync-directory-migrations");
        host_ = std::make_unique<testing::TestHost>(dir_);
        file_ = dir_ / "directory.db";
    }
    void TearDown() override {
        sink_.reset();
        std::filesystem::remove_all(dir_);
    }

    void sql(const std::string& statements) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
        sqlite::execute(db, statements);
        ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
    }
    std::int64_t number(const std::string& query) {
        sqlite3* db = nullptr;
        sqlite3_open(file_.string().c_str(), &db);
        std::int64_t n = -1;
        {
            sqlite::SqliteStatement select(db, query);
            if (select.next()) n = select.integer(0);
            select.next();
        }
        sqlite3_close(db);
        return n;
    }
    Sink& sink() {
        if (!sink_)
            sink_ = testing::built_plugins().make_sink(
                "directory", core::parse_config_text("database: directory.db\n", "sink.yaml"), *host_);
        return *sink_;
    }
    std::string open_error() {
        try {
            sink().load_index();
        } catch (const Error& e) {
            return e.what();
        }
        return "(opened)";
    }

    std::filesystem::path dir_, file_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(DirectoryMigrations, EachEarlierSchemaOpensKeepsItsRowsAndTakesARun) {
    for (std::size_t steps = 1; steps <= earlier_schemas.size(); ++steps) {
        SCOPED_TRACE("a directory of the schema after step " + std::to_string(steps));
        sink_.reset();
        std::filesystem::remove(file_);
        for (std::size_t k = 0; k < steps; ++k) sql(earlier_schemas[k]);

        const DestinationIndex index = sink().load_index();
        ASSERT_EQ(index.users.size(), 2u);
        EXPECT_EQ(index.users[0].hris_id, "W-7");
        EXPECT_EQ(index.users[0].sync_hash, 42u);
        EXPECT_TRUE(index.users[0].synced);
        EXPECT_FALSE(index.users[1].synced);
        const auto olga = sink().find_user("W-7");
        ASSERT_TRUE(olga.has_value());
        EXPECT_EQ(olga->user.job_title, "Keeper");
        EXPECT_EQ(olga->department_ids, std::vector<std::int64_t>{1});
        EXPECT_EQ(olga->synced_fields, (std::vector<std::string>{"email", "first_name", "job_title"}));
        EXPECT_EQ(number("PRAGMA user_version"), 4);
        EXPECT_EQ(number("SELECT count(*) FROM sqlite_schema WHERE name = 'users_unsynced'"), 1);
        EXPECT_NE(sink().state_token(), "");

        const auto run = testing::creating_run({"N-1"});
        sink().apply(run.snapshot, run.changes, ApplyContext{2, "test"});
        EXPECT_EQ(number("SELECT count(*) FROM users"), 3);
        EXPECT_EQ(number("SELECT count(*) FROM audit_log"), 2);
    }
}

TEST_F(DirectoryMigrations, ADirectoryOfANewerBuildIsRefusedAndLeftAsItIs) {
    sql("PRAGMA user_version = 5; CREATE TABLE users (id INTEGER PRIMARY KEY, tomorrow TEXT)");
    const std::string error = open_error();
    EXPECT_NE(error.find("directory " + file_.string()), std::string::npos) << error;
    EXPECT_NE(error.find("written by a newer peoplesync (schema 5, this build knows 4); upgrade peoplesync or "
                         "restore a backup"),
              std::string::npos)
        << error;
    EXPECT_EQ(number("PRAGMA user_version"), 5);
    EXPECT_EQ(number("SELECT count(*) FROM sqlite_schema WHERE name = 'departments'"), 0);
}

TEST_F(DirectoryMigrations, TheVeryFirstDevelopmentFormatIsRefusedWithWhatToDo) {
    sql("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, pipeline TEXT NOT NULL, at TEXT "
        "NOT NULL, user_id INTEGER, hris_id TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, field TEXT NOT NULL "
        "DEFAULT '', old_value TEXT NOT NULL DEFAULT '', new_value TEXT NOT NULL DEFAULT '')");
    const std::string error = open_error();
    EXPECT_NE(error.find("directory " + file_.string()), std::string::npos) << error;
    EXPECT_NE(error.find("development build"), std::string::npos) << error;
    EXPECT_EQ(number("PRAGMA user_version"), 0);
}

TEST_F(DirectoryMigrations, AFileThatIsNotADatabaseIsAClearError) {
    std::ofstream(file_) << "name,email\nOlga,old@example.com\n" << std::string(200, '#') << "\n";
    const std::string error = open_error();
    EXPECT_NE(error.find("directory " + file_.string()), std::string::npos) << error;
    EXPECT_NE(error.find("not a database"), std::string::npos) << error;
}

}  // namespace
}  // namespace peoplesync
