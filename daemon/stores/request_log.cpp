#include "request_log.hpp"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <Poco/Data/LOB.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>

#include <peoplesync/error.hpp>
#include <peoplesync/snapshot_json.hpp>

#include "compression.hpp"
#include "durable_file.hpp"
#include "durable_session.hpp"
#include "hash.hpp"
#include "session_transaction.hpp"
#include "state_store.hpp"

namespace peoplesync::core {

using namespace Poco::Data::Keywords;
using nlohmann::json;

// Where a request's body is: a file of the bodies folder, or (requests
// logged before there were files) compressed in the row.
struct RequestLog::StoredBody {
    std::string file;
    Poco::Data::BLOB packed;
    std::string removed_at;  // when the retention removed it; then neither of the above holds it
};

namespace {

std::string inflate(const Poco::Data::BLOB& data) {
    return core::inflate(std::string_view(reinterpret_cast<const char*>(data.rawContent()), data.size()));
}

using Row =
    Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string, std::string, Poco::Int64,
                Poco::Int64, Poco::Int64, std::string, std::string, std::string, std::string, std::string>;
constexpr const char* columns =
    "id, pipeline, received_at, status, mode, remote_address, content_type, size, users, run_id, findings, message, "
    "updated_at, message_id, body_removed_at";

PushRequest to_request(const Row& row) {
    PushRequest r;
    r.id = row.get<0>();
    r.pipeline = row.get<1>();
    r.received_at = row.get<2>();
    r.status = row.get<3>();
    r.mode = row.get<4>();
    r.remote_address = row.get<5>();
    r.content_type = row.get<6>();
    r.size = row.get<7>();
    r.users = row.get<8>();
    r.run_id = row.get<9>();
    r.findings = json::parse(row.get<10>(), nullptr, false);
    if (r.findings.is_discarded()) r.findings = json::array();
    r.message = row.get<11>();
    r.updated_at = row.get<12>();
    r.message_id = row.get<13>();
    r.body_removed_at = row.get<14>();
    return r;
}

std::vector<PushRequest> to_requests(const std::vector<Row>& rows) {
    std::vector<PushRequest> out;
    out.reserve(rows.size());
    for (const auto& row : rows) out.push_back(to_request(row));
    return out;
}

// Empty when there is no such request.
std::optional<RequestLog::StoredBody> stored_body(Poco::Data::Session& s, Poco::Int64 id) {
    std::vector<Poco::Tuple<std::string, Poco::Data::BLOB, std::string>> rows;
    s << "SELECT body_file, body, body_removed_at FROM push_requests WHERE id = ?", use(id), into(rows), now;
    if (rows.empty()) return std::nullopt;
    return RequestLog::StoredBody{rows.front().get<0>(), rows.front().get<1>(), rows.front().get<2>()};
}

// What tells two bodies apart once one is removed: its hash family, then
// its XXH3 128-bit hash in hexadecimal.
std::string body_digest(std::string_view body) {
    const auto words = hash::bytes128(body);
    char text[48];
    std::snprintf(text, sizeof text, "%u:%016llx%016llx", static_cast<unsigned>(hash::family),
                  static_cast<unsigned long long>(words[1]), static_cast<unsigned long long>(words[0]));
    return text;
}

std::string read_body_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error("the body of this request was kept in " + file.string() + ", which cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

// The request log's steps (component "request_log" of schema_versions).
void first_request_log_schema(sqlite3* db) {
    for (const char* statement : {
             "CREATE TABLE IF NOT EXISTS push_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, "
             "pipeline TEXT NOT NULL, received_at TEXT NOT NULL, status TEXT NOT NULL, mode TEXT NOT NULL, "
             "remote_address TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL, "
             "users INTEGER NOT NULL DEFAULT 0, run_id INTEGER NOT NULL DEFAULT 0, "
             "findings TEXT NOT NULL DEFAULT '[]', message TEXT NOT NULL DEFAULT '', "
             "updated_at TEXT NOT NULL, body BLOB NOT NULL)",
             "CREATE INDEX IF NOT EXISTS push_requests_by_pipeline ON push_requests(pipeline, id)",
             "CREATE INDEX IF NOT EXISTS push_requests_by_status ON push_requests(status, id)",
         })
        sqlite::execute(db, statement);
}

// The sender's message ids (webhook-id), to answer a resent message with the
// run its first copy made.
void message_ids(sqlite3* db) {
    sqlite::add_column(db, "push_requests", "message_id", "TEXT NOT NULL DEFAULT ''");
    sqlite::execute(db,
                    "CREATE INDEX IF NOT EXISTS push_requests_by_message ON push_requests(pipeline, message_id) "
                    "WHERE message_id <> ''");
}

// Bodies as files beside the state database, written once and synced,
// instead of compressed into the row: a 41 MB body took longer to compress
// than to parse, and SQLite wrote it twice (its log, then the database).
void body_files(sqlite3* db) {
    sqlite::add_column(db, "push_requests", "body_file", "TEXT NOT NULL DEFAULT ''");
}

// Bodies removed once the retention no longer keeps them (the rows stay),
// and each body's digest, which tells a resent message from a new one once
// its first copy's body is gone. The index holds only the requests whose
// bodies are kept: what the retention looks through.
void body_retention(sqlite3* db) {
    sqlite::add_column(db, "push_requests", "body_digest", "TEXT NOT NULL DEFAULT ''");
    sqlite::add_column(db, "push_requests", "body_removed_at", "TEXT NOT NULL DEFAULT ''");
    sqlite::execute(db,
                    "CREATE INDEX IF NOT EXISTS push_requests_keeping_body ON push_requests(pipeline, id) "
                    "WHERE body_removed_at = ''");
}

constexpr sqlite::Migration request_log_migrations[] = {
    {1, first_request_log_schema}, {2, message_ids}, {3, body_files}, {4, body_retention}};

// received_at of a request received `secs` ago: the same fixed-width form, so
// text order is time order.
std::string received_at_ago(std::int64_t secs) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp() - secs * Poco::Timespan::SECONDS,
                                           Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}

}  // namespace

json findings_json(const std::vector<Finding>& findings) {
    json out = json::array();
    for (const auto& f : findings)
        out.push_back({{"severity", to_string(f.severity)}, {"location", f.location}, {"message", f.message}});
    return out;
}

json to_json(const PushRequest& r) {
    json out = {{"id", r.id},
                {"pipeline", r.pipeline},
                {"received_at", r.received_at},
                {"status", r.status},
                {"mode", r.mode},
                {"remote_address", r.remote_address},
                {"content_type", r.content_type},
                {"size", r.size},
                {"users", r.users},
                {"findings", r.findings},
                {"updated_at", r.updated_at}};
    out["run"] = r.run_id != 0 ? json(r.run_id) : json(nullptr);
    if (!r.message.empty()) out["message"] = r.message;
    if (!r.message_id.empty()) out["message_id"] = r.message_id;
    if (!r.body_removed_at.empty()) out["body_removed_at"] = r.body_removed_at;
    return out;
}

std::filesystem::path RequestLog::bodies_folder(const std::filesystem::path& state_database) {
    return state_database.string() + ".requests";
}

RequestLog::RequestLog(const std::filesystem::path& state_database)
    : session_(open_durable_session(state_database, {"main", "request_log"}, request_log_migrations, "")),
      bodies_(bodies_folder(state_database)) {}

RequestLog::~RequestLog() = default;

RequestLog::KeptBody RequestLog::keep_body(const std::string& body) {
    if (body.empty()) return {"", body_digest(body)};
    std::error_code error;
    std::filesystem::create_directories(bodies_, error);
    if (error) throw Error(bodies_.string() + ": cannot make the folder for request bodies: " + error.message());
    // Unique among this process's and earlier ones' (the time), and among
    // requests in the same instant (the count).
    static std::atomic<std::uint64_t> count{0};
    const std::string name =
        std::to_string(Poco::Timestamp().epochMicroseconds()) + "-" + std::to_string(count.fetch_add(1)) + ".json";
    write_durably(bodies_ / name, body);
    return {name, body_digest(body)};
}

void RequestLog::record(PushRequest& request, const std::string& body) {
    const KeptBody kept = keep_body(body);  // the slow part, outside the lock
    {
        std::lock_guard lock(mutex_);
        insert(request, kept);
    }
    tidy(request.pipeline);
}

void RequestLog::insert(PushRequest& request, const KeptBody& body) {
    try {
        insert_row(request, body);
    } catch (...) {
        std::error_code ignored;
        if (!body.file.empty()) std::filesystem::remove(bodies_ / body.file, ignored);
        throw;
    }
}

void RequestLog::insert_row(PushRequest& request, const KeptBody& body) {
    request.received_at = now_iso8601();
    request.updated_at = request.received_at;
    if (request.status.empty()) request.status = "received";
    const std::string findings = request.findings.dump();
    Poco::Int64 size = request.size, users = request.users, run = request.run_id;
    *session_ << "INSERT INTO push_requests(pipeline, received_at, status, mode, remote_address, content_type, size, "
                 "users, run_id, findings, message, updated_at, body, message_id, body_file, body_digest) "
                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, X'', ?, ?, ?)",
        use(request.pipeline), use(request.received_at), use(request.status), use(request.mode),
        use(request.remote_address), use(request.content_type), use(size), use(users), use(run), useRef(findings),
        use(request.message), use(request.updated_at), use(request.message_id), useRef(body.file), useRef(body.digest),
        now;
    Poco::Int64 id = 0;
    *session_ << "SELECT last_insert_rowid()", into(id), now;
    request.id = id;
}

void RequestLog::update(PushRequest& request) {
    request.updated_at = now_iso8601();
    const std::string findings = request.findings.dump(-1, ' ', false, json::error_handler_t::replace);
    Poco::Int64 users = request.users, run = request.run_id, id = request.id;
    {
        std::lock_guard lock(mutex_);
        *session_ << "UPDATE push_requests SET status = ?, users = ?, run_id = ?, findings = ?, message = ?, "
                     "updated_at = ? WHERE id = ?",
            use(request.status), use(users), use(run), useRef(findings), use(request.message), use(request.updated_at),
            use(id), now;
        status_changed_.notify_all();
    }
    if (!request.pending()) tidy(request.pipeline);
}

std::optional<PushRequest> RequestLog::get(std::int64_t id) {
    std::vector<Row> rows;
    Poco::Int64 key = id;
    std::lock_guard lock(mutex_);
    *session_ << "SELECT " + std::string(columns) + " FROM push_requests WHERE id = ?", use(key), into(rows), now;
    if (rows.empty()) return std::nullopt;
    return to_request(rows.front());
}

std::string RequestLog::body(std::int64_t id) {
    std::optional<StoredBody> stored;
    {
        std::lock_guard lock(mutex_);
        stored = stored_body(*session_, id);
    }
    if (!stored) throw Error("there is no request " + std::to_string(id));
    if (!stored->removed_at.empty())
        throw Error("the body of request " + std::to_string(id) + " is no longer kept: it was removed " +
                    stored->removed_at +
                    ", past the newest requests.keep_bodies of its pipeline or older than "
                    "requests.keep_bodies_days (the daemon's configuration)");
    return body_of(*stored);
}

void RequestLog::tidy(const std::string& pipeline) {
    try {
        remove_old_bodies(pipeline);
    } catch (const std::exception&) {
        // What was asked (a request recorded or updated) is done: the next
        // request tries again, and the daemon's start says what failed.
    }
}

void RequestLog::set_body_retention(const BodyRetention& retention) {
    std::lock_guard lock(mutex_);
    retention_ = retention;
}

std::int64_t RequestLog::remove_old_bodies(const std::string& pipeline) {
    std::vector<std::string> files;
    std::int64_t removed = 0;
    {
        std::lock_guard lock(mutex_);
        if (retention_.keep <= 0 && retention_.keep_days <= 0) return 0;
        std::vector<std::string> pipelines;
        if (pipeline.empty())
            *session_ << "SELECT DISTINCT pipeline FROM push_requests WHERE body_removed_at = ''", into(pipelines), now;
        else
            pipelines.push_back(pipeline);
        // Finished requests whose bodies are kept, and are either past the
        // pipeline's newest `keep` (at or below the id of its keep+1-th
        // newest) or received before the cutoff. Through the index of kept
        // bodies: as many rows as are kept, not every request ever logged.
        Poco::Int64 offset = retention_.keep;
        const std::string cutoff = retention_.keep_days > 0 ? received_at_ago(retention_.keep_days * 86400) : "";
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string>> rows;
        for (const std::string& name : pipelines) {
            std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string>> found;
            *session_ << "SELECT id, body_file, message_id, body_digest FROM push_requests INDEXED BY "
                         "push_requests_keeping_body WHERE pipeline = ?1 AND body_removed_at = '' "
                         "AND status NOT IN ('received', 'validated') AND ("
                         "(?2 > 0 AND id <= (SELECT id FROM push_requests INDEXED BY push_requests_keeping_body "
                         "WHERE pipeline = ?1 AND body_removed_at = '' ORDER BY id DESC LIMIT 1 OFFSET ?2)) "
                         "OR received_at < ?3) ORDER BY id",
                useRef(name), use(offset), useRef(cutoff), into(found), now;
            rows.insert(rows.end(), found.begin(), found.end());
        }
        if (rows.empty()) return 0;
        const std::string removed_at = now_iso8601();
        SessionTransaction transaction(*session_);
        for (auto& row : rows) {
            Poco::Int64 id = row.get<0>();
            std::string digest = row.get<3>();
            // A message logged before bodies had digests: its digest, from
            // its body, so a resent copy is still told apart.
            if (digest.empty() && !row.get<2>().empty()) {
                if (auto stored = stored_body(*session_, id)) {
                    try {
                        digest = body_digest(body_of(*stored));
                    } catch (const Error&) {  // a body file gone already: nothing to tell copies by
                    }
                }
            }
            *session_ << "UPDATE push_requests SET body_file = '', body = X'', body_digest = ?, body_removed_at = ? "
                         "WHERE id = ?",
                useRef(digest), useRef(removed_at), use(id), now;
            if (!row.get<1>().empty()) files.push_back(row.get<1>());
        }
        transaction.commit();
        removed = static_cast<std::int64_t>(rows.size());
    }
    // After the rows say so: a file left by a stop here is an unlogged body,
    // which the next start removes (remove_unlogged_bodies).
    std::error_code ignored;
    for (const auto& file : files) std::filesystem::remove(bodies_ / file, ignored);
    return removed;
}

std::string RequestLog::body_of(const StoredBody& stored) const {
    if (!stored.file.empty()) return read_body_file(bodies_ / stored.file);
    if (stored.packed.size() == 0) return {};  // an empty body
    return inflate(stored.packed);
}

void RequestLog::remove_unlogged_bodies() {
    std::set<std::string> logged;
    {
        std::vector<std::string> files;
        std::lock_guard lock(mutex_);
        *session_ << "SELECT body_file FROM push_requests WHERE body_file <> ''", into(files), now;
        logged.insert(files.begin(), files.end());
    }
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(bodies_, error)) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() == ".json" && logged.count(name) == 0)
            std::filesystem::remove(entry.path(), error);
    }
}

std::vector<PushRequest> RequestLog::list(const std::string& pipeline, std::int64_t limit, std::int64_t before) {
    std::vector<Row> rows;
    Poco::Int64 n = limit;
    // Below any id when no page is asked for.
    Poco::Int64 below = before > 0 ? before : std::numeric_limits<Poco::Int64>::max();
    std::lock_guard lock(mutex_);
    if (pipeline.empty())
        *session_ << "SELECT " + std::string(columns) + " FROM push_requests WHERE id < ? ORDER BY id DESC LIMIT ?",
            use(below), use(n), into(rows), now;
    else
        *session_ << "SELECT " + std::string(columns) +
                         " FROM push_requests WHERE pipeline = ? AND id < ? ORDER BY id DESC LIMIT ?",
            useRef(pipeline), use(below), use(n), into(rows), now;
    return to_requests(rows);
}

std::vector<PushRequest> RequestLog::with_status(const std::string& pipeline, const std::string& status) {
    std::vector<Row> rows;
    std::lock_guard lock(mutex_);
    *session_ << "SELECT " + std::string(columns) + " FROM push_requests WHERE status = ? AND pipeline = ? ORDER BY id",
        useRef(status), useRef(pipeline), into(rows), now;
    return to_requests(rows);
}

std::vector<PushRequest> RequestLog::pending() {
    std::vector<Row> rows;
    std::lock_guard lock(mutex_);
    *session_ << "SELECT " + std::string(columns) +
                     " FROM push_requests WHERE status IN ('received', 'validated') ORDER BY id",
        into(rows), now;
    return to_requests(rows);
}

RequestLog::EarlierCopy RequestLog::record_message(PushRequest& request, const std::string& body,
                                                   std::int64_t window_secs, std::chrono::milliseconds wait) {
    const KeptBody kept = keep_body(body);
    const auto give_up = std::chrono::steady_clock::now() + wait;
    std::unique_lock lock(mutex_);
    EarlierCopy copy = earlier_copy(request, body, kept.digest, window_secs);
    while (copy.kind == EarlierCopy::Kind::in_flight && std::chrono::steady_clock::now() < give_up) {
        status_changed_.wait_until(lock, give_up);
        copy = earlier_copy(request, body, kept.digest, window_secs);
    }
    const std::string original = "request " + std::to_string(copy.original.id);
    if (copy.kind == EarlierCopy::Kind::accepted) {
        request.status = "duplicate";
        request.message = "duplicate of " + original + " (the same webhook-id and body, received " +
                          copy.original.received_at + "), which was accepted: not run again";
    } else if (copy.kind == EarlierCopy::Kind::in_flight) {
        request.status = "rejected";
        request.message = original + ", with the same webhook-id and body, is still being validated; send this again";
    }
    insert(request, kept);
    lock.unlock();
    tidy(request.pipeline);
    return copy;
}

// Oldest first, so a copy names the request that was run.
RequestLog::EarlierCopy RequestLog::earlier_copy(const PushRequest& request, const std::string& body,
                                                 const std::string& digest, std::int64_t window_secs) {
    // Accepted: answered 202. A request refused before its run (400, 415)
    // never ran, so the sender may send it again, corrected or not, under
    // its id; one whose run rejected it was accepted all the same.
    std::vector<Row> rows;
    const std::string since = received_at_ago(window_secs);
    Poco::Int64 size = static_cast<Poco::Int64>(body.size());
    *session_ << "SELECT " + std::string(columns) +
                     " FROM push_requests WHERE pipeline = ? AND message_id = ? AND received_at >= ? AND size = ? "
                     "AND (status NOT IN ('rejected', 'duplicate') OR run_id <> 0) ORDER BY id",
        useRef(request.pipeline), useRef(request.message_id), useRef(since), use(size), into(rows), now;
    EarlierCopy found;
    for (const auto& row : rows) {
        PushRequest earlier = to_request(row);
        if (!same_body(earlier.id, body, digest)) continue;
        if (earlier.status != "received") return {EarlierCopy::Kind::accepted, std::move(earlier)};
        if (found.kind == EarlierCopy::Kind::none) found = {EarlierCopy::Kind::in_flight, std::move(earlier)};
    }
    return found;
}

bool RequestLog::same_body(std::int64_t id, const std::string& body, const std::string& digest) {
    std::vector<std::string> stored_digest;
    Poco::Int64 key = id;
    *session_ << "SELECT body_digest FROM push_requests WHERE id = ?", use(key), into(stored_digest), now;
    if (stored_digest.empty()) return false;
    // Bodies logged with a digest are told apart by it (without reading the
    // earlier one); earlier ones by their bodies, while they are kept.
    if (!stored_digest.front().empty()) return stored_digest.front() == digest;
    const auto stored = stored_body(*session_, key);
    return stored && stored->removed_at.empty() && body_of(*stored) == body;
}

Snapshot pushed_snapshot(const PushRequest& request, const std::string& body) {
    Snapshot snapshot = parse_snapshot_json(body);
    snapshot.pipeline = request.pipeline;
    snapshot.origin = "request " + std::to_string(request.id);
    snapshot.received_at = request.received_at;
    snapshot.request_id = std::to_string(request.id);
    return snapshot;
}

}  // namespace peoplesync::core
