// The state database's numbered migrations, one version per component that
// shares the file (schema_versions: state, request_log, outbox), and the
// snapshot records file's (PRAGMA user_version): a database left by each
// earlier build opens and keeps its rows; one of a newer build, and a file
// that is not a database, are refused with a clear error naming the file.
#include <fstream>

#include <gtest/gtest.h>

#include "outbox.hpp"
#include "request_log.hpp"
#include "sqlite_statement.hpp"
#include "state_store.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

// The state store's tables as the builds before schema versions left them,
// step by step (from the history of daemon/src/state_store.cpp (now daemon/stores/) and
// snapshot_store.cpp): each entry is what one more step added.
const std::vector<std::string> earlier_state_schemas = {
    // 28 November 2026: the first schema.
    "CREATE TABLE pipelines (name TEXT PRIMARY KEY, enabled_fingerprint TEXT NOT NULL, enabled_at TEXT NOT NULL);"
    "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, trigger TEXT NOT NULL, mode "
    "TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL DEFAULT '', "
    "fingerprint TEXT NOT NULL, snapshot_key TEXT NOT NULL DEFAULT '', users INTEGER NOT NULL DEFAULT 0, result "
    "TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', approved_by_run INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX runs_by_pipeline ON runs(pipeline, id);"
    "CREATE TABLE plugin_state (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "PRIMARY KEY(namespace, key));"
    "CREATE TABLE snapshot_lists (key TEXT PRIMARY KEY, pipeline TEXT NOT NULL, users INTEGER NOT NULL, stored_at "
    "TEXT NOT NULL, meta BLOB NOT NULL, records BLOB NOT NULL, origins BLOB NOT NULL);"
    "INSERT INTO pipelines VALUES('hr', 'f1', '2026-11-28T16:00:00Z');"
    "INSERT INTO runs(pipeline, trigger, mode, status, started_at, fingerprint, users, result) "
    "VALUES('hr', 'cli', 'apply', 'applied', '2026-11-28T16:00:00Z', 'f1', 3, 'created 3');"
    "INSERT INTO plugin_state VALUES('csv', 'offset', '42');",
    // 29 November: the unchanged-input short cut.
    "CREATE TABLE run_inputs (pipeline TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, digest TEXT NOT NULL, tokens "
    "TEXT NOT NULL, run_id INTEGER NOT NULL, snapshot_key TEXT NOT NULL, users INTEGER NOT NULL, full_at INTEGER "
    "NOT NULL);",
    // 29 November: snapshot records in blocks; lists say where.
    "ALTER TABLE snapshot_lists ADD COLUMN places BLOB;",
    // 6 December: configuration changes seen before they are enabled.
    "CREATE TABLE pipeline_changes (name TEXT PRIMARY KEY, seen_at INTEGER NOT NULL, fingerprint TEXT NOT NULL);",
};

// The request log and the outbox as their first builds made them.
const char* first_request_log =
    "CREATE TABLE push_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, received_at TEXT NOT "
    "NULL, status TEXT NOT NULL, mode TEXT NOT NULL, remote_address TEXT NOT NULL, content_type TEXT NOT NULL, size "
    "INTEGER NOT NULL, users INTEGER NOT NULL DEFAULT 0, run_id INTEGER NOT NULL DEFAULT 0, findings TEXT NOT NULL "
    "DEFAULT '[]', message TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX push_requests_by_pipeline ON push_requests(pipeline, id);"
    "CREATE INDEX push_requests_by_status ON push_requests(status, id);"
    "INSERT INTO push_requests(pipeline, received_at, status, mode, remote_address, content_type, size, "
    "updated_at, body) VALUES('hr', '2026-11-28T16:00:00.000Z', 'applied', 'apply', '127.0.0.1', "
    "'application/json', 2, '2026-11-28T16:00:01.000Z', x'');";
const char* first_outbox =
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, sink TEXT NOT NULL, "
    "message_id TEXT NOT NULL, run_id INTEGER NOT NULL, queued_at_ms INTEGER NOT NULL, summary TEXT NOT NULL, body "
    "BLOB, has_state INTEGER NOT NULL, state BLOB, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at_ms INTEGER "
    "NOT NULL DEFAULT 0, last_attempt_at_ms INTEGER NOT NULL DEFAULT 0, last_result TEXT NOT NULL DEFAULT '', "
    "age_from_ms INTEGER NOT NULL);"
    "CREATE INDEX outbox_by_sink ON outbox(pipeline, sink, id);"
    "CREATE TABLE outbox_sinks (pipeline TEXT NOT NULL, sink TEXT NOT NULL, acknowledged_state BLOB, stopped TEXT "
    "NOT NULL DEFAULT '', stopped_at_ms INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0, "
    "last_delivered_at_ms INTEGER NOT NULL DEFAULT 0, last_delivered TEXT NOT NULL DEFAULT '', "
    "PRIMARY KEY(pipeline, sink));"
    "INSERT INTO outbox_sinks(pipeline, sink, acknowledged_state, delivered) VALUES('hr', 'hook', 'acked', 5);";

class StateMigrations : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("state-migrations");
        file_ = dir_ / "state.db";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void sql(const std::filesystem::path& file, const std::string& statements) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file.string().c_str(), &db), SQLITE_OK);
        sqlite::execute(db, statements);
        ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
    }
    std::int64_t number(const std::filesystem::path& file, const std::string& query) {
        sqlite3* db = nullptr;
        sqlite3_open(file.string().c_str(), &db);
        std::int64_t n = -1;
        {
            sqlite::SqliteStatement select(db, query);
            if (select.next()) n = select.integer(0);
            select.next();
        }
        sqlite3_close(db);
        return n;
    }
    std::int64_t version(const std::string& component) {
        return number(file_, "SELECT version FROM schema_versions WHERE component = '" + component + "'");
    }
    template <typename Store>
    std::string open_error() {
        try {
            Store store(file_);
        } catch (const Error& e) {
            return e.what();
        }
        return "(opened)";
    }

    std::filesystem::path dir_, file_;
};

TEST_F(StateMigrations, EachEarlierStateSchemaOpensAndKeepsItsRows) {
    for (std::size_t steps = 1; steps <= earlier_state_schemas.size(); ++steps) {
        SCOPED_TRACE("a state database of the schema after step " + std::to_string(steps));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        for (std::size_t k = 0; k < steps; ++k) sql(file_, earlier_state_schemas[k]);

        StateStore store(file_);
        EXPECT_EQ(store.enabled_fingerprint("hr"), std::optional<std::string>("f1"));
        const auto runs = store.runs("hr", 10);
        ASSERT_EQ(runs.size(), 1u);
        EXPECT_EQ(runs[0].result, "created 3");
        EXPECT_EQ(runs[0].plan, "");
        store.record_run_plan(runs[0].id, "{\"create\":3}");
        EXPECT_EQ(store.run(runs[0].id)->plan, "{\"create\":3}");
        // A result of those days is no JSON: no findings to take from it.
        EXPECT_EQ(store.run(runs[0].id, StateStore::RunResult::findings)->result, "");
        EXPECT_EQ(store.run(runs[0].id, StateStore::RunResult::none)->status, "applied");
        EXPECT_EQ(store.get_value("csv", "offset"), std::optional<std::string>("42"));
        store.note_configuration("hr", "f2");
        EXPECT_FALSE(store.live("hr", "f2", 0));
        EXPECT_EQ(store.run_inputs("hr"), std::nullopt);
        EXPECT_EQ(version("state"), 7);
        EXPECT_EQ(number(dir_ / "state.snapshots.db", "PRAGMA user_version"), 1);
    }
}

TEST_F(StateMigrations, TheFirstRequestLogAndOutboxOpenAndKeepTheirRows) {
    sql(file_, std::string(first_request_log) + first_outbox);
    {
        RequestLog log(file_);
        const auto request = log.get(1);
        ASSERT_TRUE(request.has_value());
        EXPECT_EQ(request->status, "applied");
        EXPECT_EQ(request->message_id, "");
    }
    {
        OutboxStore outbox(file_);
        EXPECT_EQ(outbox.sink("hr", "hook").delivered, 5);
        EXPECT_EQ(outbox.queued_run("hr", "hook", 1), std::optional<bool>(false));
        EXPECT_EQ(outbox.state("hr", "hook"), "acked");
        // Which message that state came from was not recorded: unknown.
        EXPECT_EQ(outbox.state_token("hr", "hook"), "");
    }
    EXPECT_EQ(version("request_log"), 4);
    EXPECT_EQ(version("outbox"), 3);
    EXPECT_EQ(number(file_, "SELECT count(*) FROM sqlite_schema WHERE name = 'push_requests_by_message'"), 1);
}

TEST_F(StateMigrations, AStateDatabaseOfANewerBuildIsRefusedAndLeftAsItIs) {
    sql(file_,
        "CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL);"
        "INSERT INTO schema_versions VALUES('state', 8)");
    const std::string error = open_error<StateStore>();
    EXPECT_NE(error.find("state database " + file_.string() +
                         ": it was written by a newer peoplesync (state schema 8, this build knows 7); upgrade "
                         "peoplesync or restore a backup"),
              std::string::npos)
        << error;
    EXPECT_EQ(number(file_, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs'"), 0);
}

TEST_F(StateMigrations, ARequestLogAndAnOutboxOfANewerBuildAreRefused) {
    sql(file_,
        "CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL);"
        "INSERT INTO schema_versions VALUES('request_log', 5), ('outbox', 9)");
    std::string error = open_error<RequestLog>();
    EXPECT_NE(error.find("state database " + file_.string()), std::string::npos) << error;
    EXPECT_NE(error.find("newer peoplesync (request_log schema 5, this build knows 4)"), std::string::npos) << error;
    error = open_error<OutboxStore>();
    EXPECT_NE(error.find("state database " + file_.string()), std::string::npos) << error;
    EXPECT_NE(error.find("newer peoplesync (outbox schema 9, this build knows 3)"), std::string::npos) << error;
}

TEST_F(StateMigrations, ARecordsFileOfANewerBuildIsRefused) {
    sql(dir_ / "state.snapshots.db", "PRAGMA user_version = 2");
    const std::string error = open_error<StateStore>();
    EXPECT_NE(error.find("snapshot records file " + (dir_ / "state.snapshots.db").string() +
                         ": it was written by a newer peoplesync (schema 2, this build knows 1)"),
              std::string::npos)
        << error;
}

TEST_F(StateMigrations, AStateDatabaseThatIsNotADatabaseIsAClearError) {
    std::ofstream(file_) << std::string(300, 'x') << "\n";
    for (const std::string& error : {open_error<StateStore>(), open_error<RequestLog>(), open_error<OutboxStore>()}) {
        EXPECT_NE(error.find("state database " + file_.string()), std::string::npos) << error;
        EXPECT_NE(error.find("not a database"), std::string::npos) << error;
    }
}

// Components migrate on their own: a daemon that opens the request log
// before the state store finds the file as that component left it.
TEST_F(StateMigrations, EachComponentKeepsItsOwnVersion) {
    { RequestLog log(file_); }
    EXPECT_EQ(version("request_log"), 4);
    EXPECT_EQ(version("state"), -1);
    { StateStore store(file_); }
    EXPECT_EQ(version("state"), 7);
    EXPECT_EQ(version("outbox"), 3);
}

}  // namespace
}  // namespace peoplesync::core
