// What plugin tests need from the host: a Host that keeps its log and state
// in memory, and plugins loaded from the build's plugin folder exactly as the
// daemon loads them.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <peoplesync/plugin.hpp>
#include <peoplesync/testing.hpp>

#include "plugin_host.hpp"
#include "settings.hpp"

namespace peoplesync::testing {

class MemoryKeyValues final : public KeyValueStore {
public:
    std::optional<std::string> get(const std::string& key) override {
        auto it = values.find(key);
        if (it == values.end()) return std::nullopt;
        return it->second;
    }
    void put(const std::string& key, const std::string& value) override { values[key] = value; }
    void erase(const std::string& key) override { values.erase(key); }
    std::map<std::string, std::string> values;
};

class TestHost final : public Host, public Logger {
public:
    explicit TestHost(std::filesystem::path base_dir = std::filesystem::current_path())
        : base_dir_(std::move(base_dir)) {}
    Logger& log() override { return *this; }
    KeyValueStore& state() override { return values; }
    std::int64_t now() override { return clock; }
    std::string resolve_path(const std::string& path) override { return core::resolve_path(base_dir_, path).string(); }
    const std::string& pipeline() override { return pipeline_; }
    Outbox& outbox() override { return memory_outbox; }
    void debug(const std::string& m) override { lines.push_back("debug: " + m); }
    void info(const std::string& m) override { lines.push_back("info: " + m); }
    void warning(const std::string& m) override { lines.push_back("warning: " + m); }
    void error(const std::string& m) override { lines.push_back("error: " + m); }

    std::vector<std::string> lines;
    MemoryKeyValues values;
    MemoryOutbox memory_outbox;
    std::int64_t clock = 1700000000;

private:
    std::filesystem::path base_dir_;
    std::string pipeline_ = "test";
};

// A snapshot of users with these hris_ids (email ID@example.com, name F L)
// and the ChangeSet that creates them all, as a first run would make it.
struct CreatingRun {
    Snapshot snapshot;
    ChangeSet changes;
};
inline CreatingRun creating_run(const std::vector<std::string>& hris_ids) {
    CreatingRun run;
    run.changes.synced_fields = {"hris_id", "email", "first_name", "last_name", "active"};
    for (const auto& id : hris_ids) {
        User u;
        u.hris_id = id;
        u.email = id + "@example.com";
        u.first_name = "F";
        u.last_name = "L";
        run.snapshot.users.push_back(u);
        CreatedUser created;
        created.snapshot_index = static_cast<std::int64_t>(run.changes.created.size());
        run.changes.created.push_back(created);
    }
    return run;
}

// The plugins built with this tree.
inline const core::PluginHost& built_plugins() {
    static const core::PluginHost host({core::default_plugin_dir()});
    return host;
}

class NullReadContext final : public ReadContext {
public:
    void progress(std::int64_t records) override { last = records; }
    std::int64_t last = 0;
};

}  // namespace peoplesync::testing
