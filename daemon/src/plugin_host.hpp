// Loads plugin libraries with Boost.DLL, checks their ABI stamp before
// anything else, and creates sources and sinks that keep their library
// loaded for as long as they live.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include <peoplesync/plugin.hpp>

namespace peoplesync::core {

struct LoadedPlugin {
    std::filesystem::path file;
    PluginKind kind = PluginKind::source;
    std::string type;
    std::string description;
    std::vector<OptionSpec> options;
};

// The configuration names a plugin type no loaded plugin provides (or more
// than one does): a configuration error, which the pipeline places.
class PluginNotFound final : public ConfigError {
public:
    using ConfigError::ConfigError;
};

// "ABI 9, gcc-12, libstdc++-12-cxx11abi1"
std::string describe_abi(const peoplesync_abi_stamp& stamp);

struct RefusedPlugin {
    std::filesystem::path file;
    std::string reason;
};

class PluginHost {
public:
    // Scans each folder for shared libraries and loads them all. Files that
    // cannot be used are remembered with the reason, not fatal: a pipeline
    // that needs one fails with that reason.
    explicit PluginHost(const std::vector<std::filesystem::path>& dirs);

    std::vector<LoadedPlugin> plugins() const;
    const std::vector<RefusedPlugin>& refused() const { return refused_; }

    // Checks `options` against the plugin's option table, then constructs it.
    std::shared_ptr<Source> make_source(const std::string& type, const ConfigValue& options, Host& host) const;
    std::shared_ptr<Sink> make_sink(const std::string& type, const ConfigValue& options, Host& host) const;
    const LoadedPlugin& find(PluginKind kind, const std::string& type) const;  // throws PluginNotFound

    // Loads one file; throws Error saying why it is not a usable plugin.
    void load(const std::filesystem::path& file);

private:
    struct Entry {
        LoadedPlugin info;
        std::shared_ptr<boost::dll::shared_library> library;
        const PluginInfo* exported = nullptr;
    };
    const Entry& entry(PluginKind kind, const std::string& type) const;

    std::vector<std::filesystem::path> dirs_;
    std::map<std::pair<PluginKind, std::string>, Entry> entries_;
    // Types claimed by more than one file: unusable until one is removed.
    std::map<std::pair<PluginKind, std::string>, std::vector<std::filesystem::path>> conflicts_;
    std::vector<RefusedPlugin> refused_;
};

}  // namespace peoplesync::core
