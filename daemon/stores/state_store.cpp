#include "state_store.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "session_transaction.hpp"
#include "sqlite_migrations.hpp"
#include "sqlite_statement.hpp"
#include "sqlite_writable.hpp"

namespace peoplesync::core {

using namespace Poco::Data::Keywords;
using sqlite::SqliteStatement;

std::string now_iso8601() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}

namespace {

class StoredKeyValues final : public KeyValueStore {
public:
    StoredKeyValues(StateStore& store, std::string name) : store_(store), name_(std::move(name)) {}
    std::optional<std::string> get(const std::string& key) override { return store_.get_value(name_, key); }
    void put(const std::string& key, const std::string& value) override { store_.put_value(name_, key, value); }
    void erase(const std::string& key) override { store_.erase_value(name_, key); }

private:
    StateStore& store_;
    std::string name_;
};

}  // namespace

namespace {

// The state store's steps (component "state" of schema_versions; the request
// log and the outbox keep their own). The first schema is the first
// development build's (28 November 2026), less its whole-snapshot table,
// which no later build read.
void first_state_schema(sqlite3* db) {
    for (const char* statement : {
             "CREATE TABLE IF NOT EXISTS pipelines (name TEXT PRIMARY KEY, enabled_fingerprint TEXT NOT NULL, "
             "enabled_at TEXT NOT NULL)",
             "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, "
             "trigger TEXT NOT NULL, mode TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, "
             "finished_at TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL, snapshot_key TEXT NOT NULL DEFAULT '', "
             "users INTEGER NOT NULL DEFAULT 0, result TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', "
             "approved_by_run INTEGER NOT NULL DEFAULT 0)",
             "CREATE INDEX IF NOT EXISTS runs_by_pipeline ON runs(pipeline, id)",
             "CREATE TABLE IF NOT EXISTS plugin_state (namespace TEXT NOT NULL, key TEXT NOT NULL, "
             "value TEXT NOT NULL, PRIMARY KEY(namespace, key))",
             // Each snapshot's list of records (SnapshotStore).
             "CREATE TABLE IF NOT EXISTS snapshot_lists (key TEXT PRIMARY KEY, pipeline TEXT NOT NULL, "
             "users INTEGER NOT NULL, stored_at TEXT NOT NULL, meta BLOB NOT NULL, records BLOB NOT NULL, "
             "origins BLOB NOT NULL)",
         })
        sqlite::execute(db, statement);
}

// The unchanged-input short cut (29 November).
void run_inputs(sqlite3* db) {
    sqlite::execute(db,
                    "CREATE TABLE IF NOT EXISTS run_inputs (pipeline TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
                    "digest TEXT NOT NULL, tokens TEXT NOT NULL, run_id INTEGER NOT NULL, snapshot_key TEXT NOT NULL, "
                    "users INTEGER NOT NULL, full_at INTEGER NOT NULL)");
}

// Records in blocks (29 November): a list says where each of its records is.
void snapshot_list_places(sqlite3* db) {
    sqlite::add_column(db, "snapshot_lists", "places", "BLOB");
}

// A configuration other than the enabled one, first seen at seen_at (ms
// since the epoch) (6 December).
void pipeline_changes(sqlite3* db) {
    sqlite::execute(db,
                    "CREATE TABLE IF NOT EXISTS pipeline_changes (name TEXT PRIMARY KEY, seen_at INTEGER NOT NULL, "
                    "fingerprint TEXT NOT NULL)");
}

// A run's planned counts, written as soon as they are known (6 December).
void run_plans(sqlite3* db) {
    sqlite::add_column(db, "runs", "plan", "TEXT NOT NULL DEFAULT ''");
}

// The hash family of each list's record hashes (hash.hpp) (6 December):
// lists stored before then are of the first.
void snapshot_list_hash_families(sqlite3* db) {
    sqlite::add_column(db, "snapshot_lists", "hash_family", "INTEGER NOT NULL DEFAULT 1");
}

// Snapshots removed past runs.keep_snapshots (7 December): the blocks each
// list's records are in, so a removal knows which blocks no list holds any
// more without reading every list (lists stored before then have none; it is
// made from their places when needed), and the runs whose snapshots are kept
// whatever the retention says.
void snapshot_retention(sqlite3* db) {
    sqlite::execute(db, "CREATE TABLE IF NOT EXISTS snapshot_list_blocks (key TEXT PRIMARY KEY, blocks BLOB NOT NULL)");
    sqlite::execute(db,
                    "CREATE INDEX IF NOT EXISTS runs_awaiting ON runs(pipeline, id) WHERE status IN ('running', "
                    "'blocked') AND approved_by_run = 0");
}

constexpr sqlite::Migration state_migrations[] = {
    {1, first_state_schema}, {2, run_inputs}, {3, snapshot_list_places},
    {4, pipeline_changes},   {5, run_plans},  {6, snapshot_list_hash_families},
    {7, snapshot_retention},
};

}  // namespace

StateStore::StateStore(const std::filesystem::path& file) : file_(file) {
    Poco::Data::SQLite::Connector::registerConnector();
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    for (const auto& part : {file, snapshot_records_file(file)})
        if (const std::string why = sqlite::unwritable(part); !why.empty())
            throw Error("state database " + part.string() + " " + why);
    try {
        session_ = std::make_unique<Poco::Data::Session>("SQLite", file.string());
        auto& s = *session_;
        s << "PRAGMA journal_mode=WAL", now;
        s << "PRAGMA busy_timeout=10000", now;
        s << "PRAGMA synchronous=NORMAL", now;
        s << "PRAGMA cache_size=-16384", now;  // 16 MiB: runs and lists; records go in key order
        sqlite::migrate(Poco::Data::SQLite::Utility::dbHandle(s), {"main", "state"}, state_migrations);
        snapshots_ =
            std::make_unique<SnapshotStore>(Poco::Data::SQLite::Utility::dbHandle(s), snapshot_records_file(file));
        outbox_ = std::make_unique<OutboxStore>(file);
    } catch (const Poco::Exception& e) {
        throw Error("state database " + file.string() + ": " + e.displayText());
    } catch (const Error& e) {
        throw Error("state database " + file.string() + ": " + e.what());
    }
}

StateStore::~StateStore() = default;

std::optional<std::string> StateStore::enabled_fingerprint(const std::string& pipeline) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> rows;
    *session_ << "SELECT enabled_fingerprint FROM pipelines WHERE name = ?", useRef(pipeline), into(rows), now;
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

void StateStore::enable(const std::string& pipeline, const std::string& fingerprint) {
    std::lock_guard lock(mutex_);
    std::string at = now_iso8601();
    // In one transaction: a change seen before this enabling never voids it.
    SessionTransaction transaction(*session_);
    *session_ << "INSERT INTO pipelines(name, enabled_fingerprint, enabled_at) VALUES(?, ?, ?) "
                 "ON CONFLICT(name) DO UPDATE SET enabled_fingerprint = excluded.enabled_fingerprint, "
                 "enabled_at = excluded.enabled_at",
        useRef(pipeline), useRef(fingerprint), use(at), now;
    *session_ << "DELETE FROM pipeline_changes WHERE name = ?", useRef(pipeline), now;
    transaction.commit();
}

void StateStore::disable(const std::string& pipeline) {
    std::lock_guard lock(mutex_);
    SessionTransaction transaction(*session_);
    *session_ << "DELETE FROM pipelines WHERE name = ?", useRef(pipeline), now;
    *session_ << "DELETE FROM pipeline_changes WHERE name = ?", useRef(pipeline), now;
    transaction.commit();
}

void StateStore::note_configuration(const std::string& pipeline, const std::string& fingerprint) {
    std::lock_guard lock(mutex_);
    Poco::Int64 at = epoch_ms();
    *session_ << "INSERT OR IGNORE INTO pipeline_changes(name, seen_at, fingerprint) "
                 "SELECT name, ?, ? FROM pipelines WHERE name = ? AND enabled_fingerprint <> ?",
        use(at), useRef(fingerprint), useRef(pipeline), useRef(fingerprint), now;
}

bool StateStore::live(const std::string& pipeline, const std::string& fingerprint, std::int64_t loaded_at_ms) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> enabled;
    std::vector<Poco::Int64> changed;
    *session_ << "SELECT p.enabled_fingerprint, coalesce(c.seen_at, 0) FROM pipelines p "
                 "LEFT JOIN pipeline_changes c ON c.name = p.name WHERE p.name = ?",
        useRef(pipeline), into(enabled), into(changed), now;
    if (enabled.empty() || enabled.front() != fingerprint) return false;
    return changed.front() == 0 || loaded_at_ms < changed.front();
}

std::string StateStore::store_snapshot(const Snapshot& snapshot) {
    EncodedSnapshot encoded = encode_snapshot(snapshot);
    std::lock_guard lock(mutex_);
    return snapshots_->store(encoded);
}

std::future<StateStore::StoredSnapshot> StateStore::store_snapshot_async(const Snapshot& snapshot, Sharing sharing,
                                                                         std::shared_future<void> start,
                                                                         std::int64_t run_id) {
    const auto started = std::chrono::steady_clock::now();
    EncodedSnapshot encoded = sharing == Sharing::copy ? encode_snapshot(snapshot) : refer_to_snapshot(snapshot);
    const double encoding = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return store_encoded_async([encoded = std::move(encoded)]() mutable { return std::move(encoded); }, encoding,
                               std::move(start), run_id);
}

std::future<StateStore::StoredSnapshot> StateStore::store_encoded_async(std::function<EncodedSnapshot()> encode,
                                                                        double encoding, std::shared_future<void> start,
                                                                        std::int64_t run_id) {
    return std::async(std::launch::async, [file = file_, encode = std::move(encode), encoding, start, run_id]() {
        if (start.valid()) start.wait();
        const auto begun = std::chrono::steady_clock::now();
        const EncodedSnapshot encoded = encode();
        Poco::Data::Session session("SQLite", file.string());
        // Another pipeline's store may hold the records file for a few
        // seconds; nobody waits on this thread.
        session << "PRAGMA busy_timeout=120000", now;
        SnapshotStore store(Poco::Data::SQLite::Utility::dbHandle(session), snapshot_records_file(file));
        session << "PRAGMA records.cache_size=-4096", now;  // records are appended in blocks
        StoredSnapshot stored;
        stored.key = store.store(encoded);
        if (run_id != 0) {
            try {
                Poco::Int64 id = run_id, users = static_cast<Poco::Int64>(encoded.size());
                session << "UPDATE runs SET snapshot_key = ?, users = ? WHERE id = ? AND status = 'running'",
                    useRef(stored.key), use(users), use(id), now;
            } catch (const Poco::Exception&) {
                // The run records its snapshot when it finishes anyway.
            }
        }
        stored.seconds = encoding + std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
        return stored;
    });
}

Snapshot StateStore::load_snapshot(const std::string& key) {
    std::lock_guard lock(mutex_);
    return snapshots_->load(key);
}

void StateStore::forget_unused_snapshot(const std::string& key) {
    std::lock_guard lock(mutex_);
    SqliteStatement(Poco::Data::SQLite::Utility::dbHandle(*session_),
                    "DELETE FROM snapshot_lists WHERE key = ?1 AND NOT EXISTS (SELECT 1 FROM runs WHERE snapshot_key = "
                    "?1) AND NOT EXISTS (SELECT 1 FROM run_inputs WHERE snapshot_key = ?1)")
        .bind(1, key)
        .run();
}

StoredList StateStore::snapshot_list(const std::string& key) {
    std::lock_guard lock(mutex_);
    return snapshots_->list(key);
}

std::int64_t StateStore::begin_run(RunRecord& run) {
    std::lock_guard lock(mutex_);
    run.started_at = now_iso8601();
    run.status = run.status.empty() ? "running" : run.status;
    Poco::Int64 id = 0;
    try {
        *session_
            << "INSERT INTO runs(pipeline, trigger, mode, status, started_at, fingerprint) VALUES(?, ?, ?, ?, ?, ?)",
            use(run.pipeline), use(run.trigger), use(run.mode), use(run.status), use(run.started_at),
            use(run.fingerprint), now;
        *session_ << "SELECT last_insert_rowid()", into(id), now;
    } catch (const Poco::Exception& e) {
        throw Error("state database " + file_.string() + ": cannot record the start of a run: " + e.displayText());
    }
    run.id = id;
    return id;
}

void StateStore::record_run_plan(std::int64_t run_id, const std::string& plan) {
    std::lock_guard lock(mutex_);
    Poco::Int64 id = run_id;
    *session_ << "UPDATE runs SET plan = ? WHERE id = ?", useRef(plan), use(id), now;
}

void StateStore::finish_run(RunRecord& run, const RunInputs* inputs) {
    std::lock_guard lock(mutex_);
    run.finished_at = now_iso8601();
    Poco::Int64 users = run.users, id = run.id;
    auto& s = *session_;
    try {
        SessionTransaction transaction(s);
        s << "UPDATE runs SET mode = ?, status = ?, finished_at = ?, snapshot_key = ?, users = ?, result = ?, "
             "message = ? WHERE id = ?",
            use(run.mode), use(run.status), use(run.finished_at), use(run.snapshot_key), use(users), use(run.result),
            use(run.message), use(id), now;
        if (inputs != nullptr) write_run_inputs(run.pipeline, *inputs);
        transaction.commit();
    } catch (const Poco::Exception& e) {
        throw Error("state database " + file_.string() + ": cannot record the end of run " + std::to_string(run.id) +
                    " (" + run.status + "): " + e.displayText());
    }
}

namespace {
using RunRow = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string, std::string,
                           std::string, std::string, Poco::Int64, std::string, std::string, Poco::Int64, std::string>;
const char* run_columns =
    "id, pipeline, trigger, mode, status, started_at, finished_at, fingerprint, snapshot_key, users, result, "
    "message, approved_by_run, plan";

RunRecord to_record(const RunRow& r) {
    RunRecord run;
    run.id = r.get<0>();
    run.pipeline = r.get<1>();
    run.trigger = r.get<2>();
    run.mode = r.get<3>();
    run.status = r.get<4>();
    run.started_at = r.get<5>();
    run.finished_at = r.get<6>();
    run.fingerprint = r.get<7>();
    run.snapshot_key = r.get<8>();
    run.users = r.get<9>();
    run.result = r.get<10>();
    run.message = r.get<11>();
    run.approved_by_run = r.get<12>();
    run.plan = r.get<13>();
    return run;
}
}  // namespace

void StateStore::release_caches() {
    std::lock_guard lock(mutex_);
    sqlite3_db_release_memory(Poco::Data::SQLite::Utility::dbHandle(*session_));
}

std::optional<RunRecord> StateStore::run(std::int64_t id, RunResult part) {
    std::lock_guard lock(mutex_);
    std::vector<RunRow> rows;
    Poco::Int64 key = id;
    std::string columns = run_columns;
    if (part == RunResult::none) columns.replace(columns.find("result"), std::string("result").size(), "''");
    if (part == RunResult::findings) {
        // SQLite takes the two apart; nothing else of the result is parsed.
        const std::string only =
            "CASE WHEN json_valid(result) THEN json_object('findings', json(coalesce(json_extract(result, "
            "'$.findings'), '[]')), 'quarantined', coalesce(json_extract(result, '$.quarantined'), 0)) ELSE '' END";
        columns.replace(columns.find("result"), std::string("result").size(), only);
    }
    *session_ << "SELECT " + columns + " FROM runs WHERE id = ?", use(key), into(rows), now;
    if (rows.empty()) return std::nullopt;
    return to_record(rows.front());
}

std::vector<RunRecord> StateStore::runs(const std::string& pipeline, std::int64_t limit, std::int64_t before) {
    std::lock_guard lock(mutex_);
    std::vector<RunRow> rows;
    Poco::Int64 n = limit;
    // Below any id when no page is asked for.
    Poco::Int64 below = before > 0 ? before : std::numeric_limits<Poco::Int64>::max();
    if (pipeline.empty())
        *session_ << "SELECT " + std::string(run_columns) + " FROM runs WHERE id < ? ORDER BY id DESC LIMIT ?",
            use(below), use(n), into(rows), now;
    else
        *session_ << "SELECT " + std::string(run_columns) +
                         " FROM runs WHERE pipeline = ? AND id < ? ORDER BY id DESC LIMIT ?",
            useRef(pipeline), use(below), use(n), into(rows), now;
    std::vector<RunRecord> out;
    for (const auto& row : rows) out.push_back(to_record(row));
    return out;
}

void StateStore::mark_approved(std::int64_t blocked_run, std::int64_t by_run) {
    std::lock_guard lock(mutex_);
    Poco::Int64 a = blocked_run, b = by_run;
    *session_ << "UPDATE runs SET approved_by_run = ? WHERE id = ?", use(b), use(a), now;
}

std::vector<RunRecord> StateStore::unfinished_runs(const std::string& pipeline) {
    std::lock_guard lock(mutex_);
    std::vector<RunRow> rows;
    *session_ << "SELECT " + std::string(run_columns) +
                     " FROM runs WHERE pipeline = ? AND status = 'running' ORDER BY id",
        useRef(pipeline), into(rows), now;
    std::vector<RunRecord> out;
    for (const auto& row : rows) out.push_back(to_record(row));
    return out;
}

void StateStore::settle_run(RunRecord& run) {
    std::lock_guard lock(mutex_);
    run.finished_at = now_iso8601();
    Poco::Int64 users = run.users, id = run.id;
    *session_ << "UPDATE runs SET status = ?, finished_at = ?, users = ?, result = ?, message = ? "
                 "WHERE id = ? AND status = 'running'",
        use(run.status), use(run.finished_at), use(users), use(run.result), use(run.message), use(id), now;
}

void StateStore::mark_interrupted_runs(const std::string& pipeline) {
    std::lock_guard lock(mutex_);
    std::string at = now_iso8601();
    *session_
        << "UPDATE runs SET status = 'interrupted', finished_at = ?, message = 'the process stopped during the run' "
           "WHERE status = 'running' AND pipeline = ?",
        use(at), useRef(pipeline), now;
}

std::optional<RunInputs> StateStore::run_inputs(const std::string& pipeline) {
    std::lock_guard lock(mutex_);
    using Row = Poco::Tuple<std::string, std::string, std::string, Poco::Int64, std::string, Poco::Int64, Poco::Int64>;
    std::vector<Row> rows;
    *session_ << "SELECT fingerprint, digest, tokens, run_id, snapshot_key, users, full_at FROM run_inputs "
                 "WHERE pipeline = ?",
        useRef(pipeline), into(rows), now;
    if (rows.empty()) return std::nullopt;
    const Row& r = rows.front();
    RunInputs inputs;
    inputs.fingerprint = r.get<0>();
    inputs.digest = r.get<1>();
    const auto tokens = nlohmann::json::parse(r.get<2>(), nullptr, false);
    if (!tokens.is_array()) return std::nullopt;
    for (const auto& t : tokens) inputs.tokens.push_back(t.is_string() ? t.get<std::string>() : "");
    inputs.run_id = r.get<3>();
    inputs.snapshot_key = r.get<4>();
    inputs.users = r.get<5>();
    inputs.full_at = r.get<6>();
    return inputs;
}

void StateStore::write_run_inputs(const std::string& pipeline, const RunInputs& inputs) {
    const std::string tokens = nlohmann::json(inputs.tokens).dump();
    Poco::Int64 run_id = inputs.run_id, users = inputs.users, full_at = inputs.full_at;
    *session_
        << "INSERT INTO run_inputs(pipeline, fingerprint, digest, tokens, run_id, snapshot_key, users, full_at) "
           "VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(pipeline) DO UPDATE SET fingerprint = excluded.fingerprint, "
           "digest = excluded.digest, tokens = excluded.tokens, run_id = excluded.run_id, "
           "snapshot_key = excluded.snapshot_key, users = excluded.users, full_at = excluded.full_at",
        useRef(pipeline), useRef(inputs.fingerprint), useRef(inputs.digest), useRef(tokens), use(run_id),
        useRef(inputs.snapshot_key), use(users), use(full_at), now;
}

std::unique_ptr<KeyValueStore> StateStore::key_value(const std::string& name) {
    return std::make_unique<StoredKeyValues>(*this, name);
}

std::optional<std::string> StateStore::get_value(const std::string& name, const std::string& key) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> rows;
    *session_ << "SELECT value FROM plugin_state WHERE namespace = ? AND key = ?", useRef(name), useRef(key),
        into(rows), now;
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

void StateStore::put_value(const std::string& name, const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    *session_ << "INSERT INTO plugin_state(namespace, key, value) VALUES(?, ?, ?) "
                 "ON CONFLICT(namespace, key) DO UPDATE SET value = excluded.value",
        useRef(name), useRef(key), useRef(value), now;
}

void StateStore::erase_value(const std::string& name, const std::string& key) {
    std::lock_guard lock(mutex_);
    *session_ << "DELETE FROM plugin_state WHERE namespace = ? AND key = ?", useRef(name), useRef(key), now;
}

}  // namespace peoplesync::core
