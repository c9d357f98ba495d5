// Helpers for a plugin's own tests, whatever test framework they use: load
// the built plugin file as peoplesync does (ABI stamp first, then the option
// table, then the constructor), hand it a Host that keeps everything in
// memory, and read a source once with the record checks the pipeline makes
// before it diffs.
//
//   peoplesync::testing::MemoryHost host("tests/data");
//   auto plugin = peoplesync::testing::PluginFile::load(PLUGIN_FILE);
//   auto source = plugin.make_source(peoplesync::testing::options({{"path", "people.jsonl"}}), host);
//   peoplesync::Snapshot snapshot = peoplesync::testing::read_and_validate(*source);
//   // snapshot.users; snapshot.findings: the source's and validation's
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <peoplesync/plugin.hpp>

namespace peoplesync::testing {

// An Outbox for sinks that deliver (Sink::delivers()): what apply() queued,
// in memory, and the state the receiver would hold.
class MemoryOutbox final : public Outbox {
public:
    std::vector<std::int64_t> enqueue(const std::vector<OutboxMessage>& messages) override {
        if (!stopped.empty()) throw Error(stopped);
        std::vector<std::int64_t> ids;
        for (const auto& message : messages) {
            queued.push_back(message);
            ids.push_back(next_id++);
        }
        ++changes;
        return ids;
    }
    std::string state() override {
        for (auto it = queued.rbegin(); it != queued.rend(); ++it)
            if (it->state) return *it->state;
        return acknowledged;
    }
    // Every enqueue and delivery counts as a new state.
    std::string state_token() override { return "memory " + std::to_string(changes); }
    // As if the receiver acknowledged everything queued.
    void deliver_all() {
        acknowledged = state();
        queued.clear();
        ++changes;
    }

    std::vector<OutboxMessage> queued;
    std::string acknowledged;  // the state of the last acknowledged message with one
    std::string stopped;       // not empty: delivery is stopped and enqueue() throws this
    std::int64_t next_id = 1;
    std::int64_t changes = 0;
};

// A Host for tests: log lines and state in memory, a clock that stands
// still until a test moves it, relative paths resolved against `base_dir`.
class MemoryHost : public Host, public Logger, public KeyValueStore {
public:
    explicit MemoryHost(std::string base_dir = ".", std::string pipeline = "test");
    ~MemoryHost() override;

    Logger& log() override;
    KeyValueStore& state() override;
    std::int64_t now() override;
    std::string resolve_path(const std::string& path) override;
    const std::string& pipeline() override;
    Outbox& outbox() override;

    void debug(const std::string& message) override;
    void info(const std::string& message) override;
    void warning(const std::string& message) override;
    void error(const std::string& message) override;

    std::optional<std::string> get(const std::string& key) override;
    void put(const std::string& key, const std::string& value) override;
    void erase(const std::string& key) override;

    std::vector<std::string> log_lines;         // "warning: ..."
    std::map<std::string, std::string> values;  // what the plugin keeps in state()
    std::int64_t clock = 1700000000;            // what now() returns
    MemoryOutbox memory_outbox;                 // what a delivering sink's apply() queued

private:
    std::string base_dir_;
    std::string pipeline_;
};

// A plugin file loaded for a test. The objects it makes keep it loaded.
class PluginFile {
public:
    // Loads `file` and checks its ABI stamp against this SDK's; throws Error
    // saying why the file is not a usable plugin, as the daemon would refuse it.
    static PluginFile load(const std::string& file);

    const PluginInfo& info() const { return *info_; }
    // Checks `options` against the plugin's option table (throws
    // ConfigError), then constructs the plugin: what the host does.
    std::shared_ptr<Source> make_source(const ConfigValue& options, Host& host) const;
    std::shared_ptr<Sink> make_sink(const ConfigValue& options, Host& host) const;

private:
    std::shared_ptr<void> library_;
    const PluginInfo* info_ = nullptr;
};

// A plugin's options as a map of single values, e.g.
// options({{"path", "people.jsonl"}, {"timeout_secs", "5"}}). Errors about
// them read "test options: path: ...". For lists and maps, build a
// ConfigValue with ConfigValue::map(), list(), set() and push_back().
ConfigValue options(std::initializer_list<std::pair<std::string, std::string>> values);

// Reads the source once and runs validate_records() on the result, as the
// pipeline does (it also trims surrounding spaces first, and checks managers
// against the destination later). The findings are the source's followed by
// validation's.
Snapshot read_and_validate(Source& source);

// One line per finding, "error: people.jsonl:3.email: ...", for test output.
std::string describe(const std::vector<Finding>& findings);

}  // namespace peoplesync::testing
