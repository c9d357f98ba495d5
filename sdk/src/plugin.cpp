#include <peoplesync/plugin.hpp>

namespace peoplesync {

const peoplesync_abi_stamp& host_abi_stamp() {
    static const peoplesync_abi_stamp stamp = PEOPLESYNC_ABI_STAMP_INIT;
    return stamp;
}

// Out-of-line destructors anchor each interface's vtable and type
// information in the SDK library, so host and plugins share one copy.
Logger::~Logger() = default;
KeyValueStore::~KeyValueStore() = default;
Host::~Host() = default;
ReadContext::~ReadContext() = default;
Source::~Source() = default;
Sink::~Sink() = default;

void Sink::edit_user(const std::string&, const std::string&, const std::string&) {
    throw Error("this sink has no editable directory");
}

std::optional<DestinationRecord> Sink::find_user(const std::string&) {
    throw Error("this sink has no directory to look users up in");
}

std::string_view to_string(PluginKind kind) {
    return kind == PluginKind::source ? "source" : "sink";
}

}  // namespace peoplesync
