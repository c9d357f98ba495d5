#include "outbox.hpp"

#include <algorithm>
#include <random>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/UUIDGenerator.h>

#include "durable_session.hpp"
#include "session_transaction.hpp"

namespace peoplesync::core {

using namespace Poco::Data::Keywords;

std::int64_t epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string iso8601_ms(std::int64_t ms) {
    if (ms <= 0) return "";
    return Poco::DateTimeFormatter::format(Poco::Timestamp(static_cast<Poco::Timestamp::TimeVal>(ms) * 1000),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string_view to_string(DeliveryResult::Outcome outcome) {
    switch (outcome) {
        case DeliveryResult::Outcome::delivered:
            return "delivered";
        case DeliveryResult::Outcome::retry:
            return "retry";
        case DeliveryResult::Outcome::rejected:
            return "rejected";
    }
    return "unknown";
}

std::string delivery_lock_name(const std::string& pipeline, const std::string& sink) {
    return pipeline + ".delivery." + sink;
}

namespace {

class SinkOutbox final : public Outbox {
public:
    SinkOutbox(OutboxStore& store, std::string pipeline, std::string sink)
        : store_(store), pipeline_(std::move(pipeline)), sink_(std::move(sink)) {}
    std::vector<std::int64_t> enqueue(const std::vector<OutboxMessage>& messages) override {
        return store_.enqueue(pipeline_, sink_, messages);
    }
    std::string state() override { return store_.state(pipeline_, sink_); }
    std::string state_token() override { return store_.state_token(pipeline_, sink_); }

private:
    OutboxStore& store_;
    std::string pipeline_;
    std::string sink_;
};

using EntryRow = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, Poco::Int64, Poco::Int64, std::string,
                             Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, std::string, Poco::Int64>;
const char* entry_columns =
    "id, pipeline, sink, message_id, run_id, queued_at_ms, summary, coalesce(length(body), 0), attempts, "
    "next_attempt_at_ms, "
    "last_attempt_at_ms, last_result, age_from_ms";

OutboxEntry to_entry(const EntryRow& r) {
    OutboxEntry e;
    e.id = r.get<0>();
    e.pipeline = r.get<1>();
    e.sink = r.get<2>();
    e.message_id = r.get<3>();
    e.run_id = r.get<4>();
    e.queued_at_ms = r.get<5>();
    e.summary = r.get<6>();
    e.size = r.get<7>();
    e.attempts = r.get<8>();
    e.next_attempt_at_ms = r.get<9>();
    e.last_attempt_at_ms = r.get<10>();
    e.last_result = r.get<11>();
    e.age_from_ms = r.get<12>();
    return e;
}

using SinkRow = Poco::Tuple<std::string, std::string, std::string, Poco::Int64, Poco::Int64, Poco::Int64, std::string,
                            Poco::Int64, Poco::Int64>;
const char* sink_columns =
    "s.pipeline, s.sink, s.stopped, s.stopped_at_ms, s.delivered, s.last_delivered_at_ms, s.last_delivered, "
    "(SELECT count(*) FROM outbox o WHERE o.pipeline = s.pipeline AND o.sink = s.sink), "
    "(SELECT coalesce(min(o.queued_at_ms), 0) FROM outbox o WHERE o.pipeline = s.pipeline AND o.sink = s.sink)";

std::string new_message_id() {
    static Poco::UUIDGenerator generator;
    std::string uuid = generator.createRandom().toString();
    std::erase(uuid, '-');
    return "msg_" + uuid;
}

}  // namespace

namespace {

// The outbox's steps (component "outbox" of schema_versions).
void first_outbox_schema(sqlite3* db) {
    for (const char* statement : {
             "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, "
             "sink TEXT NOT NULL, message_id TEXT NOT NULL, run_id INTEGER NOT NULL, queued_at_ms INTEGER NOT NULL, "
             "summary TEXT NOT NULL, body BLOB, has_state INTEGER NOT NULL, state BLOB, "
             "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at_ms INTEGER NOT NULL DEFAULT 0, "
             "last_attempt_at_ms INTEGER NOT NULL DEFAULT 0, last_result TEXT NOT NULL DEFAULT '', "
             "age_from_ms INTEGER NOT NULL)",
             "CREATE INDEX IF NOT EXISTS outbox_by_sink ON outbox(pipeline, sink, id)",
             "CREATE TABLE IF NOT EXISTS outbox_sinks (pipeline TEXT NOT NULL, sink TEXT NOT NULL, "
             "acknowledged_state BLOB, stopped TEXT NOT NULL DEFAULT '', "
             "stopped_at_ms INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0, "
             "last_delivered_at_ms INTEGER NOT NULL DEFAULT 0, last_delivered TEXT NOT NULL DEFAULT '', "
             "PRIMARY KEY(pipeline, sink))",
         })
        sqlite::execute(db, statement);
}

// The newest run that queued for the sink, for settling a run a crash
// interrupted.
void last_run_ids(sqlite3* db) {
    sqlite::add_column(db, "outbox_sinks", "last_run_id", "INTEGER NOT NULL DEFAULT 0");
}

// The acknowledged state in a table of its own, with the message it came
// from (for state_token(); 0 for one acknowledged before this step). In
// outbox_sinks, every column after that blob was read by walking its
// overflow pages: a whole organisation's state, 1.2 s at a million people,
// to read a counter.
void acknowledged_states(sqlite3* db) {
    sqlite::execute(db,
                    "CREATE TABLE IF NOT EXISTS outbox_acknowledged (pipeline TEXT NOT NULL, sink TEXT NOT NULL, "
                    "message INTEGER NOT NULL, state BLOB NOT NULL, PRIMARY KEY(pipeline, sink))");
    sqlite::execute(db,
                    "INSERT OR IGNORE INTO outbox_acknowledged(pipeline, sink, message, state) SELECT pipeline, sink, "
                    "0, acknowledged_state FROM outbox_sinks WHERE acknowledged_state IS NOT NULL");
    sqlite::execute(db, "UPDATE outbox_sinks SET acknowledged_state = NULL WHERE acknowledged_state IS NOT NULL");
}

constexpr sqlite::Migration outbox_migrations[] = {
    {1, first_outbox_schema}, {2, last_run_ids}, {3, acknowledged_states}};

}  // namespace

OutboxStore::OutboxStore(const std::filesystem::path& state_database)
    : session_(open_durable_session(state_database, {"main", "outbox"}, outbox_migrations, "the outbox: ")) {}

OutboxStore::~OutboxStore() = default;

std::unique_ptr<Outbox> OutboxStore::for_sink(const std::string& pipeline, const std::string& sink) {
    return std::make_unique<SinkOutbox>(*this, pipeline, sink);
}

std::vector<std::int64_t> OutboxStore::enqueue(const std::string& pipeline, const std::string& sink,
                                               const std::vector<OutboxMessage>& messages) {
    std::vector<std::int64_t> ids;
    {
        std::lock_guard lock(mutex_);
        auto& s = *session_;
        std::vector<std::string> stopped;
        s << "SELECT stopped FROM outbox_sinks WHERE pipeline = ? AND sink = ?", useRef(pipeline), useRef(sink),
            into(stopped), now;
        if (!stopped.empty() && !stopped.front().empty())
            throw Error("sink " + sink + " of pipeline " + pipeline + " stopped delivering: " + stopped.front() +
                        ". Nothing new is queued until an operator retries the waiting message (peoplesync outbox "
                        "retry " +
                        pipeline + " " + sink + ") or drops it (peoplesync outbox drop " + pipeline + " " + sink + ")");
        try {
            SessionTransaction transaction(s);
            s << "INSERT INTO outbox_sinks(pipeline, sink) VALUES(?, ?) ON CONFLICT DO NOTHING", useRef(pipeline),
                useRef(sink), now;
            Poco::Int64 last_run = 0;
            for (const auto& message : messages) last_run = std::max<Poco::Int64>(last_run, message.run_id);
            s << "UPDATE outbox_sinks SET last_run_id = max(last_run_id, ?) WHERE pipeline = ? AND sink = ?",
                use(last_run), useRef(pipeline), useRef(sink), now;
            Poco::Int64 at = epoch_ms();
            for (const auto& message : messages) {
                std::string message_id = new_message_id();
                Poco::Int64 run_id = message.run_id;
                int has_state = message.state ? 1 : 0;
                std::string state = message.state.value_or("");
                Poco::Data::BLOB body(reinterpret_cast<const unsigned char*>(message.body.data()), message.body.size());
                Poco::Data::BLOB state_blob(reinterpret_cast<const unsigned char*>(state.data()), state.size());
                s << "INSERT INTO outbox(pipeline, sink, message_id, run_id, queued_at_ms, summary, body, has_state, "
                     "state, next_attempt_at_ms, age_from_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    useRef(pipeline), useRef(sink), use(message_id), use(run_id), use(at), useRef(message.summary),
                    use(body), use(has_state), use(state_blob), use(at), use(at), now;
                Poco::Int64 id = 0;
                s << "SELECT last_insert_rowid()", into(id), now;
                ids.push_back(id);
            }
            transaction.commit();
        } catch (const Poco::Exception& e) {
            throw Error("the outbox of sink " + sink + " (pipeline " + pipeline +
                        "): nothing was queued: " + e.displayText());
        }
    }
    changed();
    return ids;
}

std::optional<bool> OutboxStore::queued_run(const std::string& pipeline, const std::string& sink, std::int64_t run_id) {
    std::lock_guard lock(mutex_);
    std::vector<Poco::Int64> last;
    *session_ << "SELECT last_run_id FROM outbox_sinks WHERE pipeline = ? AND sink = ?", useRef(pipeline), useRef(sink),
        into(last), now;
    if (last.empty() || last.front() < run_id) return false;
    if (last.front() == run_id) return true;
    return std::nullopt;
}

std::string OutboxStore::state(const std::string& pipeline, const std::string& sink) {
    std::lock_guard lock(mutex_);
    std::vector<Poco::Data::BLOB> rows;
    *session_ << "SELECT coalesce(state, x'') FROM outbox WHERE pipeline = ? AND sink = ? AND has_state = 1 "
                 "ORDER BY id DESC LIMIT 1",
        useRef(pipeline), useRef(sink), into(rows), now;
    if (rows.empty())
        *session_ << "SELECT state FROM outbox_acknowledged WHERE pipeline = ? AND sink = ?", useRef(pipeline),
            useRef(sink), into(rows), now;
    if (rows.empty()) return "";
    return std::string(reinterpret_cast<const char*>(rows.front().rawContent()), rows.front().size());
}

std::string OutboxStore::state_token(const std::string& pipeline, const std::string& sink) {
    std::lock_guard lock(mutex_);
    std::vector<Poco::Int64> queued;
    *session_ << "SELECT id FROM outbox WHERE pipeline = ? AND sink = ? AND has_state = 1 ORDER BY id DESC LIMIT 1",
        useRef(pipeline), useRef(sink), into(queued), now;
    if (!queued.empty()) return "message " + std::to_string(queued.front());
    // A message's state, once acknowledged, is still that message's.
    std::vector<Poco::Int64> acknowledged;
    *session_ << "SELECT message FROM outbox_acknowledged WHERE pipeline = ? AND sink = ?", useRef(pipeline),
        useRef(sink), into(acknowledged), now;
    if (acknowledged.empty()) return "empty";
    if (acknowledged.front() == 0) return "";  // acknowledged by an earlier build: unknown
    return "message " + std::to_string(acknowledged.front());
}

std::optional<OutboxEntry> OutboxStore::head(const std::string& pipeline, const std::string& sink) {
    std::lock_guard lock(mutex_);
    std::vector<EntryRow> rows;
    *session_ << "SELECT " + std::string(entry_columns) +
                     " FROM outbox WHERE pipeline = ? AND sink = ? ORDER BY id LIMIT 1",
        useRef(pipeline), useRef(sink), into(rows), now;
    if (rows.empty()) return std::nullopt;
    return to_entry(rows.front());
}

std::string OutboxStore::body(std::int64_t id) {
    std::lock_guard lock(mutex_);
    std::vector<Poco::Data::BLOB> rows;
    Poco::Int64 key = id;
    *session_ << "SELECT coalesce(body, x'') FROM outbox WHERE id = ?", use(key), into(rows), now;
    if (rows.empty()) throw Error("outbox message " + std::to_string(id) + " is no longer queued");
    return std::string(reinterpret_cast<const char*>(rows.front().rawContent()), rows.front().size());
}

void OutboxStore::delivered(const OutboxEntry& entry, const std::string& answer) {
    {
        std::lock_guard lock(mutex_);
        auto& s = *session_;
        Poco::Int64 id = entry.id, at = epoch_ms();
        try {
            SessionTransaction transaction(s);
            // The receiver holds what this message brings, even if an operator
            // dropped it meanwhile.
            s << "INSERT OR REPLACE INTO outbox_acknowledged(pipeline, sink, message, state) SELECT pipeline, sink, "
                 "id, state FROM outbox WHERE id = ? AND has_state = 1",
                use(id), now;
            s << "UPDATE outbox_sinks SET delivered = delivered + 1, last_delivered_at_ms = ?, last_delivered = ? "
                 "WHERE pipeline = ? AND sink = ?",
                use(at), useRef(answer), useRef(entry.pipeline), useRef(entry.sink), now;
            s << "DELETE FROM outbox WHERE id = ?", use(id), now;
            transaction.commit();
        } catch (const Poco::Exception& e) {
            throw Error("the outbox: recording the delivery of message " + std::to_string(entry.id) + ": " +
                        e.displayText());
        }
    }
    changed();
}

void OutboxStore::retry_later(const OutboxEntry& entry, std::int64_t next_attempt_at_ms, const std::string& result) {
    {
        std::lock_guard lock(mutex_);
        Poco::Int64 id = entry.id, next = next_attempt_at_ms, at = epoch_ms();
        *session_ << "UPDATE outbox SET attempts = attempts + 1, next_attempt_at_ms = ?, last_attempt_at_ms = ?, "
                     "last_result = ? WHERE id = ?",
            use(next), use(at), useRef(result), use(id), now;
    }
    changed();
}

void OutboxStore::stop(const OutboxEntry& entry, const std::string& result, const std::string& why) {
    {
        std::lock_guard lock(mutex_);
        auto& s = *session_;
        Poco::Int64 id = entry.id, at = epoch_ms();
        SessionTransaction transaction(s);
        s << "UPDATE outbox SET attempts = attempts + 1, last_attempt_at_ms = ?, last_result = ? WHERE id = ?", use(at),
            useRef(result), use(id), now;
        s << "UPDATE outbox_sinks SET stopped = ?, stopped_at_ms = ? WHERE pipeline = ? AND sink = ?", useRef(why),
            use(at), useRef(entry.pipeline), useRef(entry.sink), now;
        transaction.commit();
    }
    changed();
}

std::int64_t OutboxStore::resume(const std::string& pipeline, const std::string& sink) {
    Poco::Int64 waiting = 0;
    {
        std::lock_guard lock(mutex_);
        auto& s = *session_;
        Poco::Int64 at = epoch_ms();
        SessionTransaction transaction(s);
        s << "UPDATE outbox_sinks SET stopped = '', stopped_at_ms = 0 WHERE pipeline = ? AND sink = ?",
            useRef(pipeline), useRef(sink), now;
        s << "UPDATE outbox SET attempts = 0, next_attempt_at_ms = ?, age_from_ms = ? WHERE pipeline = ? AND sink = ?",
            use(at), use(at), useRef(pipeline), useRef(sink), now;
        s << "SELECT count(*) FROM outbox WHERE pipeline = ? AND sink = ?", useRef(pipeline), useRef(sink),
            into(waiting), now;
        transaction.commit();
    }
    changed();
    return waiting;
}

std::int64_t OutboxStore::drop(const std::string& pipeline, const std::string& sink) {
    Poco::Int64 dropped = 0;
    {
        std::lock_guard lock(mutex_);
        auto& s = *session_;
        SessionTransaction transaction(s);
        s << "SELECT count(*) FROM outbox WHERE pipeline = ? AND sink = ?", useRef(pipeline), useRef(sink),
            into(dropped), now;
        s << "DELETE FROM outbox WHERE pipeline = ? AND sink = ?", useRef(pipeline), useRef(sink), now;
        s << "UPDATE outbox_sinks SET stopped = '', stopped_at_ms = 0 WHERE pipeline = ? AND sink = ?",
            useRef(pipeline), useRef(sink), now;
        transaction.commit();
    }
    changed();
    return dropped;
}

std::vector<OutboxEntry> OutboxStore::entries(const std::string& pipeline, const std::string& sink) {
    std::lock_guard lock(mutex_);
    std::vector<EntryRow> rows;
    *session_ << "SELECT " + std::string(entry_columns) +
                     " FROM outbox WHERE (? = '' OR pipeline = ?) AND (? = '' OR sink = ?) ORDER BY id",
        useRef(pipeline), useRef(pipeline), useRef(sink), useRef(sink), into(rows), now;
    std::vector<OutboxEntry> out;
    for (const auto& row : rows) out.push_back(to_entry(row));
    return out;
}

std::vector<OutboxSink> OutboxStore::sinks(const std::string& pipeline, const std::string& sink) {
    std::lock_guard lock(mutex_);
    std::vector<SinkRow> rows;
    *session_ << "SELECT " + std::string(sink_columns) +
                     " FROM outbox_sinks s WHERE (? = '' OR s.pipeline = ?) AND (? = '' OR s.sink = ?) "
                     "ORDER BY s.pipeline, s.sink",
        useRef(pipeline), useRef(pipeline), useRef(sink), useRef(sink), into(rows), now;
    std::vector<OutboxSink> out;
    for (const auto& r : rows) {
        OutboxSink s;
        s.pipeline = r.get<0>();
        s.sink = r.get<1>();
        s.stopped = r.get<2>();
        s.stopped_at_ms = r.get<3>();
        s.delivered = r.get<4>();
        s.last_delivered_at_ms = r.get<5>();
        s.last_delivered = r.get<6>();
        s.pending = r.get<7>();
        s.oldest_queued_at_ms = r.get<8>();
        out.push_back(std::move(s));
    }
    return out;
}

OutboxSink OutboxStore::sink(const std::string& pipeline, const std::string& sink) {
    auto found = sinks(pipeline, sink);
    if (!found.empty()) return found.front();
    OutboxSink none;
    none.pipeline = pipeline;
    none.sink = sink;
    return none;
}

std::uint64_t OutboxStore::version() {
    std::lock_guard lock(version_mutex_);
    return version_;
}

void OutboxStore::wait(std::uint64_t seen, std::chrono::steady_clock::time_point until,
                       const std::function<bool()>& wake) {
    std::unique_lock lock(version_mutex_);
    version_changed_.wait_until(lock, until, [&] { return version_ != seen || (wake && wake()); });
}

void OutboxStore::notify() {
    std::lock_guard lock(version_mutex_);
    version_changed_.notify_all();
}

void OutboxStore::changed() {
    std::lock_guard lock(version_mutex_);
    ++version_;
    version_changed_.notify_all();
}

namespace {

std::string duration_text(std::int64_t ms) {
    std::int64_t secs = ms / 1000;
    if (secs < 120) return std::to_string(secs) + " s";
    if (secs < 7200) return std::to_string(secs / 60) + " min";
    return std::to_string(secs / 3600) + " h";
}

}  // namespace

std::vector<DeliveryEvent> deliver_due(OutboxStore& store, const std::string& pipeline, const std::string& sink_name,
                                       Sink& sink, const RetryPolicy& policy, bool now,
                                       const std::function<bool()>& cancelled,
                                       const std::function<void(const DeliveryEvent&)>& on_event) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    std::vector<DeliveryEvent> events;
    while (!(cancelled && cancelled())) {
        if (!store.sink(pipeline, sink_name).stopped.empty()) break;
        std::optional<OutboxEntry> entry = store.head(pipeline, sink_name);
        if (!entry) break;
        if (!now && entry->next_attempt_at_ms > epoch_ms()) break;

        Delivery delivery;
        delivery.id = entry->id;
        delivery.message_id = entry->message_id;
        delivery.run_id = entry->run_id;
        delivery.queued_at = entry->queued_at_ms / 1000;
        delivery.attempt = entry->attempts + 1;
        delivery.body = store.body(entry->id);
        DeliveryResult result;
        try {
            result = sink.deliver(delivery);
        } catch (const std::exception& e) {
            result = {DeliveryResult::Outcome::retry, std::string("the sink failed: ") + e.what(), -1};
        } catch (...) {
            result = {DeliveryResult::Outcome::retry, "the sink threw an exception that is not a std::exception", -1};
        }

        DeliveryEvent event;
        event.entry = entry->id;
        event.run_id = entry->run_id;
        event.attempt = delivery.attempt;
        event.outcome = result.outcome;
        event.message = result.message;
        const std::int64_t at = epoch_ms();
        if (result.outcome == DeliveryResult::Outcome::delivered) {
            store.delivered(*entry, result.message);
        } else if (result.outcome == DeliveryResult::Outcome::rejected) {
            store.stop(*entry, result.message,
                       "the receiver refused message " + std::to_string(entry->id) + " (run " +
                           std::to_string(entry->run_id) + "): " + result.message);
        } else if (at - entry->age_from_ms >= policy.max_age_secs * 1000) {
            event.gave_up = true;
            store.stop(*entry, result.message,
                       "message " + std::to_string(entry->id) + " (run " + std::to_string(entry->run_id) +
                           ") was not delivered in " + std::to_string(delivery.attempt) + " attempts over " +
                           duration_text(at - entry->age_from_ms) + " (retry.max_age_secs " +
                           std::to_string(policy.max_age_secs) + "); the last: " + result.message);
        } else {
            // The receiver's Retry-After wins over the backoff (up to a day).
            std::int64_t wait =
                result.retry_after_secs >= 0
                    ? std::min<std::int64_t>(result.retry_after_secs, 86400) * 1000
                    : policy.backoff_ms(delivery.attempt, std::uniform_real_distribution<double>(0.0, 1.0)(random));
            event.next_attempt_at_ms = at + wait;
            store.retry_later(*entry, event.next_attempt_at_ms, result.message);
        }
        if (on_event) on_event(event);
        events.push_back(event);
        if (result.outcome != DeliveryResult::Outcome::delivered) break;
    }
    return events;
}

}  // namespace peoplesync::core

namespace peoplesync::core {

namespace {
nlohmann::json time_json(std::int64_t ms) {
    return ms > 0 ? nlohmann::json(iso8601_ms(ms)) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json outbox_json(OutboxStore& store, const std::string& pipeline, bool delivering) {
    nlohmann::json sinks = nlohmann::json::array();
    for (const auto& sink : store.sinks(pipeline)) {
        nlohmann::json messages = nlohmann::json::array();
        for (const auto& e : store.entries(sink.pipeline, sink.sink))
            messages.push_back({{"id", e.id},
                                {"message_id", e.message_id},
                                {"run", e.run_id},
                                {"queued_at", time_json(e.queued_at_ms)},
                                {"summary", e.summary},
                                {"bytes", e.size},
                                {"failed_attempts", e.attempts},
                                {"last_attempt_at", time_json(e.last_attempt_at_ms)},
                                {"last_result", e.last_result},
                                {"next_attempt_at", time_json(e.next_attempt_at_ms)}});
        sinks.push_back({{"pipeline", sink.pipeline},
                         {"sink", sink.sink},
                         {"state", !sink.stopped.empty() ? "stopped"
                                   : sink.pending == 0   ? "idle"
                                   : delivering          ? "delivering"
                                                         : "queued"},
                         {"stopped", sink.stopped.empty() ? nlohmann::json(nullptr) : nlohmann::json(sink.stopped)},
                         {"stopped_at", time_json(sink.stopped_at_ms)},
                         {"pending", sink.pending},
                         {"oldest_queued_at", time_json(sink.oldest_queued_at_ms)},
                         {"delivered", sink.delivered},
                         {"last_delivered_at", time_json(sink.last_delivered_at_ms)},
                         {"last_delivered", sink.last_delivered},
                         {"messages", messages}});
    }
    return {{"sinks", sinks}};
}

void print_outbox(std::ostream& out, const nlohmann::json& outbox) {
    const auto& sinks = outbox.at("sinks");
    if (sinks.empty()) {
        out << "no sink has queued anything\n";
        return;
    }
    for (const auto& s : sinks) {
        out << s.value("pipeline", "") << "/" << s.value("sink", "") << ": " << s.value("state", "") << ", "
            << s.value("pending", 0) << " waiting, " << s.value("delivered", 0) << " delivered";
        if (s["last_delivered_at"].is_string())
            out << " (last " << s["last_delivered_at"].get<std::string>() << ": " << s.value("last_delivered", "")
                << ")";
        out << "\n";
        if (s["stopped"].is_string())
            out << "  STOPPED: " << s["stopped"].get<std::string>() << "\n  retry it: peoplesync outbox retry "
                << s.value("pipeline", "") << " " << s.value("sink", "") << "   drop it: peoplesync outbox drop "
                << s.value("pipeline", "") << " " << s.value("sink", "") << "\n";
        if (s["state"] == "queued")
            out << "  no process delivers them now: start peoplesyncd, or run: peoplesync outbox deliver "
                << s.value("pipeline", "") << "\n";
        for (const auto& m : s["messages"]) {
            out << "  message " << m.value("id", 0) << " (run " << m.value("run", 0) << ", queued "
                << m["queued_at"].get<std::string>() << "): " << m.value("summary", "") << ", " << m.value("bytes", 0)
                << " bytes";
            if (m.value("failed_attempts", 0) > 0) {
                out << "; " << m.value("failed_attempts", 0)
                    << " failed attempt(s), last: " << m.value("last_result", "");
                if (m["next_attempt_at"].is_string() && !s["stopped"].is_string())
                    out << "; next " << m["next_attempt_at"].get<std::string>();
            }
            out << "\n";
        }
    }
}

}  // namespace peoplesync::core
