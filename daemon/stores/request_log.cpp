#include "request_log.hpp"

#include <limits>

#include <Poco/Data/LOB.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>

#include <peoplesync/error.hpp>
#include <peoplesync/snapshot_json.hpp>

#include "compression.hpp"
#include "durable_session.hpp"
#include "state_store.hpp"

namespace peoplesync::core {

using namespace Poco::Data::Keywords;
using nlohmann::json;

namespace {

std::string inflate(const Poco::Data::BLOB& data) {
    return core::inflate(std::string_view(reinterpret_cast<const char*>(data.rawContent()), data.size()));
}

using Row = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string, std::string,
                        Poco::Int64, Poco::Int64, Poco::Int64, std::string, std::string, std::string, std::string>;
constexpr const char* columns =
    "id, pipeline, received_at, status, mode, remote_address, content_type, size, users, run_id, findings, message, "
    "updated_at, message_id";

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
    return r;
}

std::vector<PushRequest> to_requests(const std::vector<Row>& rows) {
    std::vector<PushRequest> out;
    out.reserve(rows.size());
    for (const auto& row : rows) out.push_back(to_request(row));
    return out;
}

// A request's stored body, compressed; empty when there is no such request.
std::vector<Poco::Data::BLOB> packed_body(Poco::Data::Session& s, Poco::Int64 id) {
    std::vector<Poco::Data::BLOB> rows;
    s << "SELECT body FROM push_requests WHERE id = ?", use(id), into(rows), now;
    return rows;
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

constexpr sqlite::Migration request_log_migrations[] = {{1, first_request_log_schema}, {2, message_ids}};

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
    return out;
}

RequestLog::RequestLog(const std::filesystem::path& state_database)
    : session_(open_durable_session(state_database, {"main", "request_log"}, request_log_migrations, "")) {}

RequestLog::~RequestLog() = default;

void RequestLog::record(PushRequest& request, const std::string& body) {
    const std::string packed = deflate(body, 3);
    std::lock_guard lock(mutex_);
    insert(request, packed);
}

void RequestLog::insert(PushRequest& request, const std::string& packed_body) {
    Poco::Data::BLOB blob(reinterpret_cast<const unsigned char*>(packed_body.data()), packed_body.size());
    request.received_at = now_iso8601();
    request.updated_at = request.received_at;
    if (request.status.empty()) request.status = "received";
    const std::string findings = request.findings.dump();
    Poco::Int64 size = request.size, users = request.users, run = request.run_id;
    // An empty body packs to nothing, which binds as NULL: it is stored as an empty blob.
    *session_ << "INSERT INTO push_requests(pipeline, received_at, status, mode, remote_address, content_type, size, "
                 "users, run_id, findings, message, updated_at, body, message_id) "
                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, X''), ?)",
        use(request.pipeline), use(request.received_at), use(request.status), use(request.mode),
        use(request.remote_address), use(request.content_type), use(size), use(users), use(run), useRef(findings),
        use(request.message), use(request.updated_at), use(blob), use(request.message_id), now;
    Poco::Int64 id = 0;
    *session_ << "SELECT last_insert_rowid()", into(id), now;
    request.id = id;
}

void RequestLog::update(PushRequest& request) {
    request.updated_at = now_iso8601();
    const std::string findings = request.findings.dump(-1, ' ', false, json::error_handler_t::replace);
    Poco::Int64 users = request.users, run = request.run_id, id = request.id;
    std::lock_guard lock(mutex_);
    *session_ << "UPDATE push_requests SET status = ?, users = ?, run_id = ?, findings = ?, message = ?, "
                 "updated_at = ? WHERE id = ?",
        use(request.status), use(users), use(run), useRef(findings), use(request.message), use(request.updated_at),
        use(id), now;
    status_changed_.notify_all();
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
    std::vector<Poco::Data::BLOB> rows;
    {
        std::lock_guard lock(mutex_);
        rows = packed_body(*session_, id);
    }
    if (rows.empty()) throw Error("there is no request " + std::to_string(id));
    if (rows.front().size() == 0) return {};  // an empty body
    return inflate(rows.front());
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
    const std::string packed = deflate(body, 3);
    const auto give_up = std::chrono::steady_clock::now() + wait;
    std::unique_lock lock(mutex_);
    EarlierCopy copy = earlier_copy(request, body, window_secs);
    while (copy.kind == EarlierCopy::Kind::in_flight && std::chrono::steady_clock::now() < give_up) {
        status_changed_.wait_until(lock, give_up);
        copy = earlier_copy(request, body, window_secs);
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
    insert(request, packed);
    return copy;
}

// Oldest first, so a copy names the request that was run.
RequestLog::EarlierCopy RequestLog::earlier_copy(const PushRequest& request, const std::string& body,
                                                 std::int64_t window_secs) {
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
        const auto stored = packed_body(*session_, earlier.id);
        if (stored.empty() || inflate(stored.front()) != body) continue;
        if (earlier.status != "received") return {EarlierCopy::Kind::accepted, std::move(earlier)};
        if (found.kind == EarlierCopy::Kind::none) found = {EarlierCopy::Kind::in_flight, std::move(earlier)};
    }
    return found;
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
