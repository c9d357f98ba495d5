#include "settings.hpp"

#include "option_tables.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <Poco/SHA2Engine.h>
#include <yaml-cpp/yaml.h>
#include <boost/dll/runtime_symbol_info.hpp>

#include <peoplesync/model.hpp>

namespace peoplesync::core {

std::string_view to_string(SyncMode mode) {
    return mode == SyncMode::normal ? "normal" : "one_to_one";
}
std::string_view to_string(InvalidPolicy policy) {
    return policy == InvalidPolicy::reject ? "reject" : "skip";
}

bool SyncPolicy::syncs(std::string_view field) const {
    return std::find(fields.begin(), fields.end(), field) != fields.end();
}

const PipelineSettings& Settings::pipeline(const std::string& name) const {
    for (const auto& p : pipelines)
        if (p.name == name) return p;
    std::string known;
    for (const auto& p : pipelines) known += (known.empty() ? "" : ", ") + p.name;
    throw ConfigError(file.string() + ": no pipeline named \"" + name + "\" (configured: " + known + ")");
}

std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& path) {
    std::filesystem::path p(path);
    return (p.is_absolute() ? p : base / p).lexically_normal();
}

std::filesystem::path Settings::resolve(const std::string& path) const {
    return resolve_path(base_dir, path);
}

std::filesystem::path default_plugin_dir() {
    // An installed binary uses its installation's plugins even when the build
    // tree it came from is still there; a binary in the build tree has none
    // beside it and uses the build's.
    auto exe = std::filesystem::path(boost::dll::program_location().string());
    auto installed = (exe.parent_path() / ".." / PEOPLESYNC_PLUGIN_INSTALL_SUBDIR).lexically_normal();
    std::error_code ec;
    if (std::filesystem::is_directory(installed, ec)) return installed;
#if defined(_WIN32)
    // The Windows build tree is cross-compiled: its path means nothing to the
    // programs. They find its plugins beside their folder (bin\..\plugins).
    auto built = (exe.parent_path() / ".." / "plugins").lexically_normal();
    if (std::filesystem::is_directory(built, ec)) return built;
#elif defined(PEOPLESYNC_BUILD_PLUGIN_DIR)
    std::filesystem::path built(PEOPLESYNC_BUILD_PLUGIN_DIR);
    if (std::filesystem::is_directory(built, ec)) return built;
#endif
    return installed;
}

namespace {

ConfigMark mark_of(const std::string& file, const YAML::Node& node) {
    const YAML::Mark m = node.Mark();
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + 1, m.column + 1};
}

// ${NAME} and ${NAME:-fallback} take their value from the environment.
std::string substitute_env(const std::string& text, const ConfigMark& mark, const std::string& path) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        auto start = text.find("${", pos);
        if (start == std::string::npos) break;
        auto end = text.find('}', start);
        if (end == std::string::npos) break;
        out.append(text, pos, start - pos);
        std::string expr = text.substr(start + 2, end - start - 2);
        std::string name = expr, fallback;
        bool has_fallback = false;
        if (auto sep = expr.find(":-"); sep != std::string::npos) {
            name = expr.substr(0, sep);
            fallback = expr.substr(sep + 2);
            has_fallback = true;
        }
        const char* value = std::getenv(name.c_str());
        if (value != nullptr && *value != '\0')
            out += value;
        else if (has_fallback)
            out += fallback;
        else
            ConfigValue::scalar("", path, mark).fail("environment variable " + name + " is not set");
        pos = end + 1;
    }
    out.append(text, pos, std::string::npos);
    return out;
}

ConfigValue convert(const YAML::Node& node, const std::string& file, const std::string& path) {
    ConfigMark mark = mark_of(file, node);
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return ConfigValue::null(path, mark);
        case YAML::NodeType::Scalar:
            return ConfigValue::scalar(substitute_env(node.Scalar(), mark, path), path, mark);
        case YAML::NodeType::Sequence: {
            ConfigValue list = ConfigValue::list(path, mark);
            std::size_t i = 0;
            for (const auto& item : node) list.push_back(convert(item, file, path + "[" + std::to_string(i++) + "]"));
            return list;
        }
        case YAML::NodeType::Map: {
            ConfigValue map = ConfigValue::map(path, mark);
            for (const auto& entry : node) {
                // "? [a, b]": YAML allows any node as a key; a configuration's keys are names.
                if (!entry.first.IsScalar())
                    ConfigValue::null(path, mark_of(file, entry.first)).fail("a key must be a name, not a list or map");
                std::string key = entry.first.Scalar();
                std::string child = path.empty() ? key : path + "." + key;
                if (map.find(key) != nullptr)
                    ConfigValue::scalar("", child, mark_of(file, entry.first)).fail("the key appears twice");
                ConfigValue value = convert(entry.second, file, child);
                map.set(key, std::move(value));
            }
            return map;
        }
    }
    return ConfigValue();
}

// A canonical text of a node as written: maps sorted by key.
void canonical(const YAML::Node& node, std::ostringstream& out) {
    switch (node.Type()) {
        case YAML::NodeType::Scalar:
            out << 's' << node.Scalar().size() << ':' << node.Scalar();
            break;
        case YAML::NodeType::Sequence:
            out << '[';
            for (const auto& item : node) canonical(item, out), out << ',';
            out << ']';
            break;
        case YAML::NodeType::Map: {
            // A map, not a sorted vector: assigning a YAML::Node writes through
            // to the node it refers to, so sorting nodes rewrote the tree.
            std::map<std::string, YAML::Node> entries;
            for (const auto& entry : node) entries.emplace(entry.first.as<std::string>(), entry.second);
            out << '{';
            for (const auto& [key, value] : entries)
                out << key.size() << ':' << key << '=', canonical(value, out), out << ',';
            out << '}';
            break;
        }
        default:
            out << '~';
    }
}

std::string fingerprint_of(const YAML::Node& node) {
    std::ostringstream text;
    YAML::Node copy = YAML::Clone(node);
    // When it runs, and how often an unchanged one is checked in full, do
    // not change what a run does.
    if (copy.IsMap()) {
        copy.remove("schedule");
        copy.remove("full_resync_every_secs");
    }
    canonical(copy, text);
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(text.str());
    return Poco::DigestEngine::digestToHex(sha.digest());
}

// A number as a user writes it: 20, not 20.000000.
std::string written(double number) {
    std::ostringstream out;
    out << number;
    return out.str();
}

const OptionTable<Settings>& top_level_options() {
    static const OptionTable<Settings> table = {
        {option::list("plugin_dirs", "Folders searched for plugin libraries.")
             .fallback_described("the build's or installation's plugin folder")},
        // Resolved against the configuration's folder once read.
        {option::string("state_database", "SQLite file holding runs, snapshots and pipeline state.")
             .fallback("peoplesync-state.db"),
         [](Settings& settings, const ConfigValue& value) { settings.state_database = value.as_string(); }},
        {option::list("pipelines", "The pipelines.").required()},
        {option::map("http", "The daemon's HTTP server.")},
        {option::map("admin", "The daemon's admin API.")},
        {option::map("log", "The daemon's log.")},
        {option::map("requests", "The daemon's log of pushed requests: how long it keeps their bodies.")},
        {option::map("runs", "The runs' history: how long it keeps their snapshots.")},
    };
    return table;
}

}  // namespace

const OptionTable<RunSettings>& run_options() {
    static const OptionTable<RunSettings> table = {
        {option::integer("keep_snapshots",
                         "Snapshots kept per pipeline: those of its newest runs. Older runs stay listed but can no "
                         "longer be simulated or approved. 0: no limit.")
             .fallback("100")
             .range(0, INT64_MAX),
         &RunSettings::keep_snapshots},
        {option::integer("keep_snapshots_days",
                         "Days a run's snapshot is kept at most, whatever keep_snapshots says. 0: no limit.")
             .fallback("30")
             .range(0, 36500),
         &RunSettings::keep_snapshots_days},
    };
    return table;
}

namespace {

const OptionTable<PipelineSettings>& pipeline_options() {
    static const OptionTable<PipelineSettings> table = {
        {option::string("name", "Unique name of the pipeline.").required()},
        {option::map("source", "The source plugin: type and its options.").required()},
        {option::list("sinks", "The sink plugins: each a type, an optional name and its options.").required()},
        {option::map("sync", "The sync policy.")},
        {option::string("schedule", "For pull sources in the daemon: every 30m, every 1h, ...")},
        {option::integer("full_resync_every_secs",
                         "A live run whose source input and destinations are unchanged since the last run is a "
                         "no-op without reading the source; at least this often a run reads, validates and diffs "
                         "everything anyway (0: every run does).")
             .fallback("86400")
             .range(0, 31536000),
         &PipelineSettings::full_resync_every_secs},
    };
    return table;
}

// SyncPolicy and DeletionGuardSettings are made without a configuration
// too (a policy in tests, the guard of a policy without one): their
// defaults are their members' initializers, which these tables show.
const OptionTable<SyncPolicy>& sync_options() {
    static const OptionTable<SyncPolicy> table = {
        {option::string("mode", "normal: absent users become not synced; one_to_one: they are also deactivated.")
             .fallback(std::string(to_string(SyncPolicy{}.mode)))
             .one_of({"normal", "one_to_one"}),
         [](SyncPolicy& policy, const ConfigValue& value) {
             policy.mode = value.text() == "one_to_one" ? SyncMode::one_to_one : SyncMode::normal;
         }},
        {option::list("fields", "Fields to sync; hris_id, email, first_name, last_name and active always are.")
             .fallback_described("all")},
        {option::string("on_invalid", "reject: refuse the whole snapshot; skip: quarantine invalid records.")
             .fallback(std::string(to_string(SyncPolicy{}.on_invalid)))
             .one_of({"reject", "skip"}),
         [](SyncPolicy& policy, const ConfigValue& value) {
             policy.on_invalid = value.text() == "skip" ? InvalidPolicy::skip : InvalidPolicy::reject;
         }},
        {option::map("guard", "Deletion guard: max_removals and max_removal_percent.")},
    };
    return table;
}

const OptionTable<DeletionGuardSettings>& guard_options() {
    static const OptionTable<DeletionGuardSettings> table = {
        {option::integer("max_removals", "Most users one run may deactivate or unsync.")
             .fallback(std::to_string(DeletionGuardSettings{}.max_removals))
             .range(0, INT64_MAX),
         &DeletionGuardSettings::max_removals},
        {option::number("max_removal_percent",
                        "Most users one run may deactivate or unsync, in percent of the synced users.")
             .fallback(written(DeletionGuardSettings{}.max_removal_percent))
             .range(0, 100),
         &DeletionGuardSettings::max_removal_percent},
    };
    return table;
}

PluginSettings plugin_settings(const ConfigValue& value, bool is_sink) {
    if (value.kind() != ConfigValue::Kind::map) value.fail("expected a map with a type and the plugin's options");
    PluginSettings plugin;
    plugin.type = value.at("type").as_string();
    plugin.type_where = value.at("type").where();
    plugin.name = is_sink ? value.get_string("name", plugin.type) : plugin.type;
    plugin.options = ConfigValue::map(value.path(), value.mark());
    for (const auto& [key, option] : value.entries()) {
        if (is_sink && key == "retry") {
            plugin.retry = parse_retry_policy(option);
            plugin.retry_where = option.where();
        } else if (key != "type" && !(is_sink && key == "name")) {
            plugin.options.set(key, option);
        }
    }
    return plugin;
}

SyncPolicy sync_policy(const ConfigValue& value) {
    SyncPolicy policy;
    for (auto f : always_synced_fields()) policy.fields.emplace_back(f);
    if (value.is_null()) {
        for (auto f : all_fields())
            if (!policy.syncs(f)) policy.fields.emplace_back(f);
        return policy;
    }
    sync_options().read(value, policy);
    if (const ConfigValue* fields = value.find("fields"); fields != nullptr && !fields->is_null()) {
        std::size_t i = 0;
        for (const auto& name : fields->as_string_list()) {
            if (!is_known_field(name)) {
                std::string known;
                for (auto f : all_fields()) known += (known.empty() ? "" : ", ") + std::string(f);
                const ConfigValue& item = fields->kind() == ConfigValue::Kind::list ? fields->items()[i] : *fields;
                item.fail("unknown field \"" + name + "\" (fields: " + known + ")");
            }
            if (!policy.syncs(name)) policy.fields.push_back(name);
            ++i;
        }
    } else {
        for (auto f : all_fields())
            if (!policy.syncs(f)) policy.fields.emplace_back(f);
    }
    if (const ConfigValue* guard = value.find("guard"); guard != nullptr && !guard->is_null()) {
        guard_options().read(*guard, policy.guard);
    }
    return policy;
}

}  // namespace

std::vector<OptionSection> configuration_option_tables() {
    return {
        {"", top_level_options().specs()},
        {"http", http_options().specs()},
        {"http.tls", tls_options()},
        {"admin", admin_options().specs()},
        {"log", log_options().specs()},
        {"requests", request_options().specs()},
        {"runs", run_options().specs()},
        {"pipelines[]", pipeline_options().specs()},
        {"pipelines[].sync", sync_options().specs()},
        {"pipelines[].sync.guard", guard_options().specs()},
        {"pipelines[].sinks[].retry", retry_options().specs()},
    };
}

ConfigValue parse_config_text(const std::string& yaml, const std::string& file) {
    try {
        return convert(YAML::Load(yaml), file, "");
    } catch (const YAML::Exception& e) {
        throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                          ": not valid YAML: " + e.msg);
    }
}

Settings load_settings(const std::filesystem::path& file) {
    Settings settings;
    settings.loaded_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::error_code ec;
    settings.file = std::filesystem::absolute(file, ec).lexically_normal();
    settings.base_dir = settings.file.parent_path();
    const std::string name = file.string();
    if (!std::filesystem::is_regular_file(settings.file))
        throw ConfigError(name + ": the configuration file does not exist or is not a file");

    YAML::Node root;
    try {
        root = YAML::LoadFile(settings.file.string());
    } catch (const YAML::Exception& e) {
        throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                          ": not valid YAML: " + e.msg);
    }
    ConfigValue config = convert(root, name, "");
    if (config.kind() != ConfigValue::Kind::map) throw ConfigError(name + ": expected a map with pipelines");
    top_level_options().read(config, settings);

    if (const ConfigValue* dirs = config.find("plugin_dirs"); dirs != nullptr && !dirs->is_null())
        for (const auto& dir : dirs->as_string_list()) settings.plugin_dirs.push_back(settings.resolve(dir));
    else
        settings.plugin_dirs.push_back(default_plugin_dir());
    settings.state_database = settings.resolve(settings.state_database.string());
    auto section = [&](const char* key) { return config.find(key) ? *config.find(key) : ConfigValue(); };
    settings.http = parse_http_settings(section("http"), settings.base_dir);
    settings.admin = parse_admin_settings(section("admin"));
    settings.log = parse_log_settings(section("log"), settings.base_dir);
    settings.requests = parse_request_settings(section("requests"));
    settings.runs = run_options().read(section("runs"));

    static const std::regex valid_name("[A-Za-z0-9][A-Za-z0-9_.-]*");
    const auto& pipelines = config.at("pipelines");
    for (std::size_t i = 0; i < pipelines.items().size(); ++i) {
        const ConfigValue& value = pipelines.items()[i];
        if (value.kind() != ConfigValue::Kind::map)
            value.fail("expected a pipeline: a map with name, source and sinks");
        PipelineSettings pipeline = pipeline_options().read(value);
        pipeline.name = value.at("name").as_string();
        if (!std::regex_match(pipeline.name, valid_name))
            value.at("name").fail("\"" + pipeline.name +
                                  "\" is not a valid name: use letters, digits, '_', '.' and '-'");
        for (const auto& other : settings.pipelines)
            if (other.name == pipeline.name)
                value.at("name").fail("a pipeline named \"" + pipeline.name + "\" already exists");
        pipeline.source = plugin_settings(value.at("source"), false);
        const ConfigValue& sinks = value.at("sinks");
        if (sinks.items().empty()) sinks.fail("a pipeline needs at least one sink");
        for (const auto& sink_value : sinks.items()) {
            PluginSettings sink = plugin_settings(sink_value, true);
            for (const auto& other : pipeline.sinks)
                if (other.name == sink.name)
                    sink_value.fail("two sinks are named \"" + sink.name + "\": give each a distinct name");
            pipeline.sinks.push_back(std::move(sink));
        }
        pipeline.sync = sync_policy(value.find("sync") ? *value.find("sync") : ConfigValue());
        pipeline.schedule = parse_schedule(value.find("schedule") ? *value.find("schedule") : ConfigValue());
        pipeline.fingerprint = fingerprint_of(root["pipelines"][i]);
        settings.pipelines.push_back(std::move(pipeline));
    }
    return settings;
}

}  // namespace peoplesync::core
