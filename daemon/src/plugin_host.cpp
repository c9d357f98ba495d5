#include "plugin_host.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string_view>

#if !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace peoplesync::core {

namespace {

bool is_library(const std::filesystem::path& file) {
#if defined(_WIN32)
    return file.extension() == ".dll";
#elif defined(__APPLE__)
    return file.extension() == ".dylib" || file.extension() == ".so";
#else
    return file.extension() == ".so";
#endif
}

// Whether the file begins as this platform's shared libraries do; the
// loader's own words for one that does not are obscure ("Bad file
// descriptor" through Boost.DLL).
bool looks_like_a_library(const std::filesystem::path& file) {
#if defined(_WIN32)
    constexpr std::string_view magic = "MZ";
#elif defined(__APPLE__)
    return true;  // Mach-O has several magic numbers: the loader says
#else
    constexpr std::string_view magic =
        "\x7f"
        "ELF";
#endif
#if !defined(__APPLE__)
    std::ifstream in(file, std::ios::binary);
    std::string head(magic.size(), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    return in && head == magic;
#endif
}

// Why the system's loader refuses a library (a missing dependency, an
// undefined symbol). Boost.DLL clears dlerror(), so it is asked again.
std::string loader_reason(const std::filesystem::path& file) {
#if defined(_WIN32)
    (void)file;
    return {};
#else
    void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
        ::dlclose(handle);
        return {};
    }
    const char* reason = ::dlerror();
    return reason != nullptr ? reason : "";
#endif
}

std::string describe(const LoadedPlugin& plugin) {
    return "the " + std::string(to_string(plugin.kind)) + " plugin \"" + plugin.type + "\" (" + plugin.file.string() +
           ")";
}

// Runs a plugin's constructor. A ConfigError passes as it is (it names its
// place in the configuration); anything else becomes an Error naming the
// plugin, so callers need not expect the unknown.
template <typename Make>
auto construct(const LoadedPlugin& plugin, Make make) {
    try {
        return make();
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(describe(plugin) + " could not be created: " + e.what());
    } catch (...) {
        throw Error(describe(plugin) + " threw an exception that is not a std::exception while it was created");
    }
}

std::string dirs_text(const std::vector<std::filesystem::path>& dirs) {
    std::string out;
    for (const auto& d : dirs) out += (out.empty() ? "" : ", ") + d.string();
    return out;
}

}  // namespace

std::string describe_abi(const peoplesync_abi_stamp& s) {
    return "ABI " + std::to_string(s.abi_version) + ", " + (s.compiler ? s.compiler : "?") + ", " +
           (s.stdlib ? s.stdlib : "?");
}

PluginHost::PluginHost(const std::vector<std::filesystem::path>& dirs) : dirs_(dirs) {
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            refused_.push_back({dir, "the plugin folder does not exist"});
            continue;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& item : std::filesystem::directory_iterator(dir, ec))
            if (item.is_regular_file() && is_library(item.path())) files.push_back(item.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            try {
                load(file);
            } catch (const Error& e) {
                refused_.push_back({file, e.what()});
            }
        }
    }
}

void PluginHost::load(const std::filesystem::path& file) {
    auto library = std::make_shared<boost::dll::shared_library>();
    boost::dll::fs::error_code ec;
    // Local binding keeps two plugins' symbols apart.
    library->load(file.string(), boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now, ec);
    if (ec) {
        if (!looks_like_a_library(file))
            throw Error(file.string() +
                        ": not a shared library, so not a plugin (a plugin is a shared library "
                        "built against the peoplesync SDK)");
        const std::string reason = loader_reason(file);
        throw Error(file.string() + ": cannot be loaded: " + (reason.empty() ? ec.message() : reason));
    }
    if (!library->has("peoplesync_plugin_abi"))
        throw Error(file.string() + ": not a peoplesync plugin (it exports no peoplesync_plugin_abi)");
    const peoplesync_abi_stamp* stamp = library->get<const peoplesync_abi_stamp*()>("peoplesync_plugin_abi")();
    const peoplesync_abi_stamp& host = host_abi_stamp();
    if (stamp == nullptr || stamp->magic != PEOPLESYNC_ABI_MAGIC)
        throw Error(file.string() + ": not a peoplesync plugin (its ABI stamp is not recognised)");
    if (stamp->abi_version != host.abi_version || std::strcmp(stamp->stdlib, host.stdlib) != 0)
        throw Error(file.string() + ": built for " + describe_abi(*stamp) + ", but this peoplesync needs " +
                    describe_abi(host) + "; rebuild the plugin against this SDK");
    if (!library->has("peoplesync_plugin_info"))
        throw Error(file.string() +
                    ": the plugin exports no peoplesync_plugin_info; was it built with PEOPLESYNC_PLUGIN()?");
    const PluginInfo* exported = library->get<const PluginInfo*()>("peoplesync_plugin_info")();
    if (exported == nullptr || exported->type.empty()) throw Error(file.string() + ": the plugin names no type");

    Entry entry;
    entry.info = {file, exported->kind, exported->type, exported->description, exported->options};
    entry.library = std::move(library);
    entry.exported = exported;
    auto key = std::make_pair(exported->kind, exported->type);
    if (auto conflict = conflicts_.find(key); conflict != conflicts_.end()) {
        conflict->second.push_back(file);
        throw Error(file.string() + ": " + std::string(to_string(key.first)) + " type \"" + key.second +
                    "\" is claimed by more than one plugin");
    }
    if (auto existing = entries_.find(key); existing != entries_.end()) {
        conflicts_[key] = {existing->second.info.file, file};
        std::string message = std::string(to_string(key.first)) + " type \"" + key.second + "\" is claimed by both " +
                              existing->second.info.file.string() + " and " + file.string() + "; remove one";
        refused_.push_back({existing->second.info.file, message});
        entries_.erase(existing);
        throw Error(file.string() + ": " + message);
    }
    entries_.emplace(key, std::move(entry));
}

std::vector<LoadedPlugin> PluginHost::plugins() const {
    std::vector<LoadedPlugin> out;
    for (const auto& [key, entry] : entries_) out.push_back(entry.info);
    return out;
}

const PluginHost::Entry& PluginHost::entry(PluginKind kind, const std::string& type) const {
    auto key = std::make_pair(kind, type);
    if (auto it = entries_.find(key); it != entries_.end()) return it->second;
    std::string what = std::string(to_string(kind)) + " type \"" + type + "\"";
    if (auto conflict = conflicts_.find(key); conflict != conflicts_.end()) {
        std::string files;
        for (const auto& f : conflict->second) files += (files.empty() ? "" : ", ") + f.string();
        throw PluginNotFound(what + " is claimed by more than one plugin (" + files + "); remove all but one");
    }
    std::string known, refused;
    for (const auto& [k, e] : entries_)
        if (k.first == kind) known += (known.empty() ? "" : ", ") + k.second;
    for (const auto& r : refused_) refused += "\n  refused " + r.file.string() + ": " + r.reason;
    throw PluginNotFound("no plugin provides " + what + " (available: " + (known.empty() ? "none" : known) +
                         "; searched " + dirs_text(dirs_) + ")" + refused);
}

const LoadedPlugin& PluginHost::find(PluginKind kind, const std::string& type) const {
    return entry(kind, type).info;
}

std::shared_ptr<Source> PluginHost::make_source(const std::string& type, const ConfigValue& options, Host& host) const {
    const Entry& e = entry(PluginKind::source, type);
    check_options(options, e.info.options);
    Source* source = construct(e.info, [&] { return e.exported->make_source(options, host); });
    // The deleter holds the library: it is unloaded only after the object.
    auto library = e.library;
    return std::shared_ptr<Source>(source, [library](Source* s) { delete s; });
}

std::shared_ptr<Sink> PluginHost::make_sink(const std::string& type, const ConfigValue& options, Host& host) const {
    const Entry& e = entry(PluginKind::sink, type);
    check_options(options, e.info.options);
    Sink* sink = construct(e.info, [&] { return e.exported->make_sink(options, host); });
    auto library = e.library;
    return std::shared_ptr<Sink>(sink, [library](Sink* s) { delete s; });
}

}  // namespace peoplesync::core
