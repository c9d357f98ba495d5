// The plugin interfaces: what a source and a sink implement, the services
// the host offers them, and the one macro that exports a plugin.
//
// Lifecycle: the host checks the configuration against the plugin's option
// table, constructs the plugin with it (the constructor validates, no I/O),
// then calls read() or load_index()/fetch()/apply() once per run, from one
// thread at a time. A plugin may keep state between runs in its members or,
// durably, in Host::state().
//
// Optional capabilities are classes beside Source and Sink that a plugin
// class derives from as well, found by the host with dynamic_cast: RunLedger
// and HeldUsers (below), change-only runs (change_only.hpp). A plugin that
// ignores them implements none and sees none of them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <peoplesync/abi.hpp>
#include <peoplesync/changeset.hpp>
#include <peoplesync/config.hpp>
#include <peoplesync/directory.hpp>
#include <peoplesync/http.hpp>
#include <peoplesync/model.hpp>

namespace peoplesync {

class Logger {
public:
    virtual ~Logger();
    virtual void debug(const std::string& message) = 0;
    virtual void info(const std::string& message) = 0;
    virtual void warning(const std::string& message) = 0;
    virtual void error(const std::string& message) = 0;
};

// A durable key-value store private to one plugin instance.
class KeyValueStore {
public:
    virtual ~KeyValueStore();
    virtual std::optional<std::string> get(const std::string& key) = 0;
    virtual void put(const std::string& key, const std::string& value) = 0;
    virtual void erase(const std::string& key) = 0;
};

// A message a sink that sends to a remote receiver leaves with the core
// (Host::outbox()): stored durably in the run that decides it, before any
// network I/O, then handed to Sink::deliver() in order until the receiver
// acknowledges it. Retries, backoff and operator retry/drop are the core's.
struct OutboxMessage {
    std::int64_t run_id = 0;  // ApplyContext::run_id
    std::string body;         // what deliver() sends
    // The sink's state once the receiver has acknowledged this message
    // (what load_index() describes then); none: the state does not change.
    std::optional<std::string> state;
    std::string summary;  // one line for operators ("snapshot of 50 users"); no secret, no payload
};

class Outbox {
public:
    virtual ~Outbox();
    // Stores the messages, in this order, behind those already queued for
    // this sink, all of them or (on any failure) none; returns their ids.
    // Throws Error while the sink's delivery is stopped (a receiver refused
    // an earlier message), saying why and what the operator can do.
    virtual std::vector<std::int64_t> enqueue(const std::vector<OutboxMessage>& messages) = 0;
    // The state the receiver holds once everything queued is delivered: that
    // of the newest queued message with one, else the last acknowledged;
    // empty before anything was acknowledged.
    virtual std::string state() = 0;
    // Names the state state() returns, far more cheaply than reading it:
    // equal tokens promise equal states (a sink's Sink::state_token() can
    // stand on it). Empty when the host cannot tell.
    virtual std::string state_token();
};

// One attempt to deliver a queued message.
struct Delivery {
    std::int64_t id = 0;         // the outbox entry; ascending in the order of delivery
    std::string message_id;      // unique, the same on every attempt: the receiver's de-duplication key
    std::int64_t run_id = 0;     // the run that queued it
    std::int64_t queued_at = 0;  // seconds since the epoch
    std::int64_t attempt = 1;
    std::string body;
};

struct DeliveryResult {
    // delivered: the receiver acknowledged it (a 2xx). retry: try again
    // later (no connection, a timeout, 5xx, 408, 429). rejected: the
    // receiver refused it for good; delivery to this sink stops until an
    // operator retries or drops it.
    enum class Outcome { delivered, retry, rejected };
    Outcome outcome = Outcome::retry;
    // What happened, for the log, the outbox listing and the admin API
    // ("HTTP 503 Service Unavailable: ..."). Never a secret or the payload.
    std::string message;
    // The receiver's Retry-After in seconds, or -1: the core's backoff decides.
    std::int64_t retry_after_secs = -1;
};

// What the host offers a plugin.
class Host {
public:
    virtual ~Host();
    virtual Logger& log() = 0;
    virtual KeyValueStore& state() = 0;
    // Seconds since the Unix epoch, UTC.
    virtual std::int64_t now() = 0;
    // A path from the configuration, made absolute against the folder of the
    // configuration file (the daemon's working directory may be "/").
    virtual std::string resolve_path(const std::string& path) = 0;
    // The pipeline this plugin instance serves.
    virtual const std::string& pipeline() = 0;

    // For push sources, in the daemon only (other hosts throw Error): serve
    // requests whose path starts with `path_prefix`. Routes are removed when
    // the source is stopped.
    virtual void add_route(const std::string& path_prefix, HttpHandler& handler);
    virtual PushGateway& push();

    // For sinks that deliver (Sink::delivers()): this sink's outbox in the
    // core's state database. Other hosts throw Error.
    virtual Outbox& outbox();
};

// Per-run information for a source.
class ReadContext {
public:
    virtual ~ReadContext();
    // Called now and then on long reads; the host shows it on a terminal.
    virtual void progress(std::int64_t records_read) = 0;
};

// An operator action a plugin offers (`peoplesync command PIPELINE
// PLUGIN NAME [ARGS]` and the admin API): rotate credentials, retry a
// delivery... Listed in the plugin's static commands().
struct PluginCommand {
    std::string name;
    std::string description;
};

class Source {
public:
    virtual ~Source();
    // Reads the complete set of people the source holds now. Problems with a
    // record go into Snapshot::findings with the record's index, so the
    // pipeline can quarantine it; problems that make the whole read
    // untrustworthy (a missing file, a lost connection) throw Error.
    // Push sources are never read: their snapshots arrive through start().
    virtual Snapshot read(ReadContext& context) = 0;

    // A push source receives snapshots instead of reading them. The daemon
    // calls start() once it serves HTTP (add routes there, with
    // Host::add_route) and stop() before it shuts down or reloads.
    virtual bool pushes() const;
    virtual void start();
    virtual void stop();

    // Runs one of the plugin's commands; returns what to show the operator.
    virtual std::string command(const std::string& name, const std::vector<std::string>& arguments);

    // A digest of everything read() would read now, computed far more
    // cheaply than reading it (a file's bytes, a server's change number);
    // empty when the source cannot tell. Equal digests promise equal
    // snapshots: with every sink's state_token() unchanged too, a live run
    // is a no-op without reading, validating or diffing anything.
    virtual std::string input_digest();
};

struct ApplyContext {
    std::int64_t run_id = 0;
    std::string pipeline;
};

class Sink {
public:
    virtual ~Sink();
    virtual DestinationIndex load_index() = 0;
    virtual std::vector<DestinationRecord> fetch(std::span<const std::int64_t> ids) = 0;
    // Applies all of `changes` or nothing: on any failure the destination is
    // left exactly as before and the call throws.
    virtual void apply(const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context) = 0;

    // The destination's own edit of one field of one user (by hris_id or
    // email), as its users would make it: refused for a synced field of a
    // synced user. Sinks that are not a directory keep the default, which
    // throws.
    virtual void edit_user(const std::string& user, const std::string& field, const std::string& value);
    virtual std::optional<DestinationRecord> find_user(const std::string& user);
    // The directory as its users see it, for the admin API and the console
    // (directory.hpp): owned by the sink, alive as long as it is, and called
    // from other threads than the run's. Null (the default): the sink offers
    // none.
    virtual DirectoryBrowser* browser();

    // Runs one of the plugin's commands; returns what to show the operator.
    virtual std::string command(const std::string& name, const std::vector<std::string>& arguments);

    // Changes whenever what load_index() and fetch() return may have changed
    // (a write by peoplesync or by the destination's own users); empty when
    // the sink cannot tell. See Source::input_digest().
    virtual std::string state_token();

    // Called as the daemon starts, and as it reloads, before the pipeline
    // runs: opens what the sink keeps on this machine (a database file), so
    // that one no run could use — not a database, read-only, made by a newer
    // build — stops the start (or the reload) with the Error thrown, which
    // says which file and why. A destination elsewhere that does not answer
    // now is no reason to stop: leave it to the runs, which retry. The
    // default does nothing.
    virtual void open();

    // A sink that sends to a remote receiver returns true: its apply()
    // queues messages in Host::outbox() instead of sending, and the core
    // calls deliver() for each, oldest first, retrying as the result says.
    // deliver() runs on a thread of the core's, possibly while a run calls
    // load_index() or apply() on another: it may use only what the
    // constructor set up (and Host::now() and log()).
    virtual bool delivers() const;
    virtual DeliveryResult deliver(const Delivery& delivery);
};

// An optional capability of a sink, beside Sink: the sink records in its
// destination, in the same transaction as a run's changes, that it applied
// that run (the directory's audit_runs). When the process doing a run dies,
// the next process to take the pipeline asks each sink whether it committed
// the run, and records the run as applied or as interrupted with nothing
// applied. A sink without one cannot tell, and the run says so. Sinks that
// deliver need none: the core's outbox knows what each run queued.
class RunLedger {
public:
    virtual ~RunLedger();
    // Whether apply() committed the run with this ApplyContext::run_id for
    // this sink's pipeline (Host::pipeline()).
    virtual bool applied(std::int64_t run_id) = 0;
};

// An optional capability of a sink, beside Sink: of some hris_ids, those a
// user of the destination has, synced or not. A push's answer asks about the
// managers its snapshot does not name, to give the warnings the run's diff
// will give before the run; without it those warnings come with the run.
// Called from the daemon's HTTP threads, possibly while a run or deliver()
// uses the sink on another: it may use only what the constructor set up and
// connections of its own.
class HeldUsers {
public:
    virtual ~HeldUsers();
    virtual std::vector<std::string> held_hris_ids(std::span<const std::string> hris_ids) = 0;
};

enum class PluginKind { source, sink };
std::string_view to_string(PluginKind kind);

// What a plugin library exports, once the host has checked its ABI stamp.
struct PluginInfo {
    PluginKind kind = PluginKind::source;
    std::string type;  // the name a pipeline uses: "csv", "directory"
    std::string description;
    std::vector<OptionSpec> options;
    std::vector<PluginCommand> commands;
    Source* (*make_source)(const ConfigValue& config, Host& host) = nullptr;
    Sink* (*make_sink)(const ConfigValue& config, Host& host) = nullptr;
};

namespace detail {
template <typename Plugin>
PluginInfo plugin_info() {
    static_assert(std::is_base_of_v<Source, Plugin> || std::is_base_of_v<Sink, Plugin>,
                  "a plugin class derives from peoplesync::Source or peoplesync::Sink");
    PluginInfo info;
    info.type = Plugin::type;
    info.description = Plugin::description;
    info.options = Plugin::options();
    if constexpr (requires { Plugin::commands(); }) info.commands = Plugin::commands();
    if constexpr (std::is_base_of_v<Source, Plugin>) {
        info.kind = PluginKind::source;
        info.make_source = [](const ConfigValue& config, Host& host) -> Source* { return new Plugin(config, host); };
    } else {
        info.kind = PluginKind::sink;
        info.make_sink = [](const ConfigValue& config, Host& host) -> Sink* { return new Plugin(config, host); };
    }
    return info;
}
}  // namespace detail

}  // namespace peoplesync

// Exports `Plugin` from a shared library. The class derives from Source or
// Sink and has:
//   static constexpr const char* type = "csv";
//   static constexpr const char* description = "...";
//   static std::vector<peoplesync::OptionSpec> options();
//   static std::vector<peoplesync::PluginCommand> commands();  // optional
//   Plugin(const peoplesync::ConfigValue& config, peoplesync::Host& host);
// Use it once per library, at namespace scope.
#define PEOPLESYNC_PLUGIN(Plugin)                                                                 \
    extern "C" PEOPLESYNC_EXPORT const peoplesync_abi_stamp* peoplesync_plugin_abi() {            \
        static const peoplesync_abi_stamp stamp = PEOPLESYNC_ABI_STAMP_INIT;                      \
        return &stamp;                                                                            \
    }                                                                                             \
    extern "C" PEOPLESYNC_EXPORT const ::peoplesync::PluginInfo* peoplesync_plugin_info() {       \
        static const ::peoplesync::PluginInfo info = ::peoplesync::detail::plugin_info<Plugin>(); \
        return &info;                                                                             \
    }
