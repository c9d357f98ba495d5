// The daemon's configuration file (etc/peoplesync.yaml), checked and typed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <peoplesync/config.hpp>

#include "daemon_settings.hpp"
#include "retry_policy.hpp"

namespace peoplesync::core {

enum class SyncMode { normal, one_to_one };
enum class InvalidPolicy { reject, skip };

std::string_view to_string(SyncMode mode);
std::string_view to_string(InvalidPolicy policy);

struct DeletionGuardSettings {
    std::int64_t max_removals = 500;
    double max_removal_percent = 20.0;
};

struct SyncPolicy {
    SyncMode mode = SyncMode::normal;
    InvalidPolicy on_invalid = InvalidPolicy::reject;
    std::vector<std::string> fields;  // every field of the schema, always-synced ones included
    DeletionGuardSettings guard;

    bool syncs(std::string_view field) const;
};

struct PluginSettings {
    std::string name;  // sinks only: unique within the pipeline
    std::string type;
    std::string type_where;  // "file:line:column: pipelines[0].source.type", for a type no plugin provides
    ConfigValue options;     // everything but "type", "name" and "retry"
    // Sinks that deliver to a remote receiver: the core's retries (`retry`).
    RetryPolicy retry;
    std::string retry_where;  // where `retry` was written; empty when it was not
};

struct PipelineSettings {
    std::string name;
    PluginSettings source;
    std::vector<PluginSettings> sinks;
    SyncPolicy sync;
    Schedule schedule;  // pull pipelines in the daemon
    // An unchanged live run is a no-op without reading (Source::input_digest,
    // Sink::state_token), except at least this often (0: never skipped).
    std::int64_t full_resync_every_secs = 0;  // pipeline_options() has the default
    // SHA-256 of the pipeline's configuration as written (before ${ENV}
    // substitution, so a rotated secret does not count as a change), without
    // its schedule: when it runs does not change what it does.
    std::string fingerprint;
};

// How long the state database keeps the runs' snapshots, per pipeline (0:
// no limit); the runs stay listed. The snapshot the next run builds on, and
// the newest run awaiting approval's, are kept whatever these say
// (StateStore::keep_snapshots).
struct RunSettings {
    std::int64_t keep_snapshots = 0;       // those of the newest this many runs
    std::int64_t keep_snapshots_days = 0;  // and none of a run started longer ago than this
};

struct Settings {
    std::filesystem::path file;      // the configuration file, absolute
    std::int64_t loaded_at_ms = 0;   // when it was read (ms since the epoch), for StateStore::live()
    std::filesystem::path base_dir;  // relative paths resolve against this
    std::vector<std::filesystem::path> plugin_dirs;
    std::filesystem::path state_database;
    std::vector<PipelineSettings> pipelines;
    HttpSettings http;
    AdminSettings admin;
    LogSettings log;
    RequestSettings requests;
    RunSettings runs;

    const PipelineSettings& pipeline(const std::string& name) const;  // throws ConfigError
    std::filesystem::path resolve(const std::string& path) const;
};

// A configured path: an absolute one as it is, a relative one against `base`,
// in the platform's spelling ("a/../b" is "b"; backslashes on Windows).
std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& path);

// Reads and checks a configuration file. Throws ConfigError naming the file,
// line, column and key of the first problem.
Settings load_settings(const std::filesystem::path& file);

// Parses YAML text into a configuration tree (with ${ENV} substitution);
// `file` names it in errors. For tests and tools.
const OptionTable<RunSettings>& run_options();

ConfigValue parse_config_text(const std::string& yaml, const std::string& file = "<text>");

// The plugin folder of the build tree or installation this binary belongs to.
std::filesystem::path default_plugin_dir();

}  // namespace peoplesync::core
