// The outbox (STYLE: retries, outbox and acknowledgements are the core's):
// what sinks that deliver to a remote receiver queued, in the state
// database, written in the run that decides it, before any network I/O.
// Messages leave a sink's queue oldest first and only once the receiver
// acknowledged them; the sink's state then becomes the message's. A message
// the receiver refuses for good stops the sink's delivery, and keeps the
// message, until an operator retries or drops it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <nlohmann/json.hpp>

#include <peoplesync/plugin.hpp>

#include "retry_policy.hpp"

namespace peoplesync::core {

struct OutboxEntry {
    std::int64_t id = 0;
    std::string pipeline;
    std::string sink;
    std::string message_id;
    std::int64_t run_id = 0;
    std::int64_t queued_at_ms = 0;
    std::string summary;
    std::int64_t size = 0;      // body bytes
    std::int64_t attempts = 0;  // failed attempts since it was queued or an operator retried it
    std::int64_t next_attempt_at_ms = 0;
    std::int64_t last_attempt_at_ms = 0;
    std::string last_result;       // what the last attempt got
    std::int64_t age_from_ms = 0;  // max_age_secs counts from here
};

// One sink's delivery as a whole.
struct OutboxSink {
    std::string pipeline;
    std::string sink;
    std::int64_t pending = 0;
    std::int64_t oldest_queued_at_ms = 0;
    std::string stopped;  // why its delivery stopped; empty while it goes on
    std::int64_t stopped_at_ms = 0;
    std::int64_t delivered = 0;  // messages acknowledged, ever
    std::int64_t last_delivered_at_ms = 0;
    std::string last_delivered;  // what the receiver answered then
};

class OutboxStore {
public:
    // Opens (and creates) the outbox tables in the state database, on a
    // connection of its own that syncs every commit to disk.
    explicit OutboxStore(const std::filesystem::path& state_database);
    ~OutboxStore();
    OutboxStore(const OutboxStore&) = delete;
    OutboxStore& operator=(const OutboxStore&) = delete;

    // The Outbox a sink of this pipeline sees through Host::outbox().
    std::unique_ptr<Outbox> for_sink(const std::string& pipeline, const std::string& sink);

    // All or none, in one transaction. Throws Error while the sink's delivery
    // is stopped.
    std::vector<std::int64_t> enqueue(const std::string& pipeline, const std::string& sink,
                                      const std::vector<OutboxMessage>& messages);
    std::string state(const std::string& pipeline, const std::string& sink);
    // Outbox::state_token(): the id of the message whose state state()
    // returns ("message 7"), "empty" for none, "" when the acknowledged state
    // came from a build that did not record its message.
    std::string state_token(const std::string& pipeline, const std::string& sink);
    // Whether run `run_id` queued messages for the sink (in one enqueue, all
    // or none); nothing when a later run queued since, which hides it.
    std::optional<bool> queued_run(const std::string& pipeline, const std::string& sink, std::int64_t run_id);

    // The oldest message waiting for this sink.
    std::optional<OutboxEntry> head(const std::string& pipeline, const std::string& sink);
    std::string body(std::int64_t id);
    // In one transaction: the sink's acknowledged state becomes the
    // message's, and the message leaves the queue.
    void delivered(const OutboxEntry& entry, const std::string& answer);
    void retry_later(const OutboxEntry& entry, std::int64_t next_attempt_at_ms, const std::string& result);
    // Stops the sink's delivery; the message stays first in its queue.
    void stop(const OutboxEntry& entry, const std::string& result, const std::string& why);

    // An operator's retry: delivery goes on, the first attempt now, with a
    // fresh max age. Returns the messages waiting.
    std::int64_t resume(const std::string& pipeline, const std::string& sink);
    // An operator's drop: every waiting message of the sink goes (each was
    // computed on top of the ones before it), and delivery goes on. The next
    // run diffs against what the receiver last acknowledged. Returns how
    // many went.
    std::int64_t drop(const std::string& pipeline, const std::string& sink);

    // Oldest first; empty names mean all.
    std::vector<OutboxEntry> entries(const std::string& pipeline, const std::string& sink);
    std::vector<OutboxSink> sinks(const std::string& pipeline, const std::string& sink = "");
    OutboxSink sink(const std::string& pipeline, const std::string& sink);

    // Changes made through this store (queued, delivered, retried, dropped),
    // for a delivery thread to wait on.
    std::uint64_t version();
    // Waits until version() differs from `seen`, `until` passes or `wake`
    // returns true (checked on every notify()).
    void wait(std::uint64_t seen, std::chrono::steady_clock::time_point until, const std::function<bool()>& wake);
    void notify();

private:
    void changed();

    std::mutex mutex_;
    std::unique_ptr<Poco::Data::Session> session_;
    std::mutex version_mutex_;
    std::condition_variable version_changed_;
    std::uint64_t version_ = 0;
};

// What one attempt came to.
struct DeliveryEvent {
    std::int64_t entry = 0;
    std::int64_t run_id = 0;
    std::int64_t attempt = 0;
    DeliveryResult::Outcome outcome = DeliveryResult::Outcome::retry;
    bool gave_up = false;  // a retry past the message's max age: the sink stopped
    std::string message;
    std::int64_t next_attempt_at_ms = 0;  // for retries
};

std::string_view to_string(DeliveryResult::Outcome outcome);

// Delivers a sink's due messages, oldest first, until one is not delivered,
// none is due (with `now`: every waiting one is due), the sink is stopped, or
// `cancelled()` says so. Hold the sink's delivery lock (delivery_lock_name)
// around it, so no other thread or process delivers the same queue.
std::vector<DeliveryEvent> deliver_due(OutboxStore& store, const std::string& pipeline, const std::string& sink_name,
                                       Sink& sink, const RetryPolicy& policy, bool now,
                                       const std::function<bool()>& cancelled = {},
                                       const std::function<void(const DeliveryEvent&)>& on_event = {});

// The RunLocks name that guards one sink's queue.
std::string delivery_lock_name(const std::string& pipeline, const std::string& sink);

// The outbox of a pipeline (empty: all) for the CLI and the admin API:
// {"sinks": [{pipeline, sink, state, pending, stopped, ..., "messages": [...]}]}.
// `delivering`: a process (peoplesyncd) delivers what waits; without one,
// waiting messages are "queued", not "delivering".
nlohmann::json outbox_json(OutboxStore& store, const std::string& pipeline, bool delivering);
void print_outbox(std::ostream& out, const nlohmann::json& outbox);

std::int64_t epoch_ms();
// "2024-05-01T10:00:00Z"
std::string iso8601_ms(std::int64_t epoch_ms);

}  // namespace peoplesync::core
