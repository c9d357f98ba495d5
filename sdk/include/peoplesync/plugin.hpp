// The plugin interfaces: what a source and a sink implement, the services
// the host offers them, and the one macro that exports a plugin.
//
// Lifecycle: the host checks the configuration against the plugin's option
// table, constructs the plugin with it (the constructor validates, no I/O),
// then calls read() or load_index()/fetch()/apply() once per run, from one
// thread at a time. A plugin may keep state between runs in its members or,
// durably, in Host::state().
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

    // Runs one of the plugin's commands; returns what to show the operator.
    virtual std::string command(const std::string& name, const std::vector<std::string>& arguments);
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
