#include <peoplesync/testing.hpp>

#include <cstring>
#include <filesystem>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include <peoplesync/validation.hpp>

namespace peoplesync::testing {

MemoryHost::MemoryHost(std::string base_dir, std::string pipeline)
    : base_dir_(std::move(base_dir)), pipeline_(std::move(pipeline)) {}
MemoryHost::~MemoryHost() = default;

Logger& MemoryHost::log() {
    return *this;
}
KeyValueStore& MemoryHost::state() {
    return *this;
}
std::int64_t MemoryHost::now() {
    return clock;
}
std::string MemoryHost::resolve_path(const std::string& path) {
    std::filesystem::path p(path);
    return (p.is_absolute() ? p : std::filesystem::path(base_dir_) / p).lexically_normal().string();
}
Outbox& MemoryHost::outbox() {
    return memory_outbox;
}

const std::string& MemoryHost::pipeline() {
    return pipeline_;
}

void MemoryHost::debug(const std::string& message) {
    log_lines.push_back("debug: " + message);
}
void MemoryHost::info(const std::string& message) {
    log_lines.push_back("info: " + message);
}
void MemoryHost::warning(const std::string& message) {
    log_lines.push_back("warning: " + message);
}
void MemoryHost::error(const std::string& message) {
    log_lines.push_back("error: " + message);
}

std::optional<std::string> MemoryHost::get(const std::string& key) {
    auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    return it->second;
}
void MemoryHost::put(const std::string& key, const std::string& value) {
    values[key] = value;
}
void MemoryHost::erase(const std::string& key) {
    values.erase(key);
}

namespace {

std::string describe_stamp(const peoplesync_abi_stamp& s) {
    return "ABI " + std::to_string(s.abi_version) + ", " + (s.compiler ? s.compiler : "?") + ", " +
           (s.stdlib ? s.stdlib : "?");
}

#if defined(_WIN32)
void* open_library(const std::string& file) {
    return reinterpret_cast<void*>(::LoadLibraryW(std::filesystem::path(file).wstring().c_str()));
}
void close_library(void* library) {
    ::FreeLibrary(reinterpret_cast<HMODULE>(library));
}
std::string library_error() {
    return "Windows error " + std::to_string(::GetLastError());
}
template <typename Function>
Function* symbol(void* library, const char* name) {
    return reinterpret_cast<Function*>(
        reinterpret_cast<void (*)()>(::GetProcAddress(reinterpret_cast<HMODULE>(library), name)));
}
#else
void* open_library(const std::string& file) {
    return ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
}
void close_library(void* library) {
    ::dlclose(library);
}
std::string library_error() {
    return ::dlerror();
}
template <typename Function>
Function* symbol(void* library, const char* name) {
    // POSIX guarantees that a data pointer from dlsym converts to a function pointer.
    return reinterpret_cast<Function*>(::dlsym(library, name));
}
#endif

class Reading final : public ReadContext {
public:
    void progress(std::int64_t) override {}
};

}  // namespace

PluginFile PluginFile::load(const std::string& file) {
    void* handle = open_library(file);
    if (handle == nullptr) throw Error(file + ": cannot be loaded: " + library_error());
    PluginFile plugin;
    plugin.library_ = std::shared_ptr<void>(handle, close_library);
    auto* abi = symbol<const peoplesync_abi_stamp*()>(handle, "peoplesync_plugin_abi");
    if (abi == nullptr) throw Error(file + ": not a peoplesync plugin (it exports no peoplesync_plugin_abi)");
    const peoplesync_abi_stamp* stamp = abi();
    const peoplesync_abi_stamp& host = host_abi_stamp();
    if (stamp == nullptr || stamp->magic != PEOPLESYNC_ABI_MAGIC)
        throw Error(file + ": not a peoplesync plugin (its ABI stamp is not recognised)");
    if (stamp->abi_version != host.abi_version || std::strcmp(stamp->stdlib, host.stdlib) != 0)
        throw Error(file + ": built for " + describe_stamp(*stamp) + ", but this SDK is " + describe_stamp(host));
    auto* info = symbol<const PluginInfo*()>(handle, "peoplesync_plugin_info");
    if (info == nullptr)
        throw Error(file + ": the plugin exports no peoplesync_plugin_info; was it built with PEOPLESYNC_PLUGIN()?");
    plugin.info_ = info();
    if (plugin.info_ == nullptr || plugin.info_->type.empty()) throw Error(file + ": the plugin names no type");
    return plugin;
}

std::shared_ptr<Source> PluginFile::make_source(const ConfigValue& config, Host& host) const {
    if (info_->kind != PluginKind::source) throw Error("plugin \"" + info_->type + "\" is a sink, not a source");
    check_options(config, info_->options);
    auto library = library_;
    return std::shared_ptr<Source>(info_->make_source(config, host), [library](Source* s) { delete s; });
}

std::shared_ptr<Sink> PluginFile::make_sink(const ConfigValue& config, Host& host) const {
    if (info_->kind != PluginKind::sink) throw Error("plugin \"" + info_->type + "\" is a source, not a sink");
    check_options(config, info_->options);
    auto library = library_;
    return std::shared_ptr<Sink>(info_->make_sink(config, host), [library](Sink* s) { delete s; });
}

ConfigValue options(std::initializer_list<std::pair<std::string, std::string>> values) {
    const ConfigMark mark{"test options", 0, 0};
    ConfigValue map = ConfigValue::map({}, mark);
    for (const auto& [key, value] : values) map.set(key, ConfigValue::scalar(value, key, mark));
    return map;
}

Snapshot read_and_validate(Source& source) {
    Reading context;
    Snapshot snapshot = source.read(context);
    validate_records(snapshot);
    return snapshot;
}

std::string describe(const std::vector<Finding>& findings) {
    std::string out;
    for (const auto& f : findings)
        out += std::string(to_string(f.severity)) + ": " + f.location + ": " + f.message + "\n";
    return out;
}

}  // namespace peoplesync::testing
