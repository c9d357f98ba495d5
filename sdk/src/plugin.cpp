#include <peoplesync/plugin.hpp>

#include <peoplesync/change_only.hpp>

#include <cctype>
#include <utility>

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
RunLedger::~RunLedger() = default;
HeldUsers::~HeldUsers() = default;
RecordScanner::~RecordScanner() = default;
ChangeOnlyApplier::~ChangeOnlyApplier() = default;

Outbox::~Outbox() = default;
HttpHandler::~HttpHandler() = default;
PushGateway::~PushGateway() = default;

std::string HttpRequest::header(std::string_view name) const {
    auto same = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
                return false;
        return true;
    };
    for (const auto& [key, value] : headers)
        if (same(key, name)) return value;
    return {};
}

RecordedMessage PushGateway::record_message(const HttpRequest& request, const std::string&, std::int64_t) {
    RecordedMessage recorded;
    recorded.request_id = record_request(request);
    return recorded;
}

void Host::add_route(const std::string& path_prefix, HttpHandler&) {
    throw Error("cannot serve " + path_prefix + ": only the daemon (peoplesyncd) serves HTTP");
}

PushGateway& Host::push() {
    throw Error("only the daemon (peoplesyncd) receives pushed snapshots");
}

Outbox& Host::outbox() {
    throw Error("this host keeps no outbox; only peoplesync's pipelines deliver to remote receivers");
}

bool Sink::delivers() const {
    return false;
}

DeliveryResult Sink::deliver(const Delivery&) {
    throw Error("this sink does not deliver to a remote receiver");
}

bool Source::pushes() const {
    return false;
}
void Source::start() {}
void Source::stop() {}

namespace {
[[noreturn]] void unknown_command(const std::string& name) {
    throw Error("the plugin has no command \"" + name + "\"");
}
}  // namespace

std::string Source::input_digest() {
    return "";
}

std::string Sink::state_token() {
    return "";
}

void Sink::open() {}

std::string Outbox::state_token() {
    return "";
}

std::string Source::command(const std::string& name, const std::vector<std::string>&) {
    unknown_command(name);
}
std::string Sink::command(const std::string& name, const std::vector<std::string>&) {
    unknown_command(name);
}

void Sink::edit_user(const std::string&, const std::string&, const std::string&) {
    throw Error("this sink has no editable directory");
}

std::optional<DestinationRecord> Sink::find_user(const std::string&) {
    throw Error("this sink has no directory to look users up in");
}

DirectoryBrowser* Sink::browser() {
    return nullptr;
}

DirectoryBrowser::~DirectoryBrowser() = default;

SyncedFieldError::SyncedFieldError(const std::string& message, std::string field, std::string pipeline)
    : Error(message), field_(std::move(field)), pipeline_(std::move(pipeline)) {}
SyncedFieldError::~SyncedFieldError() = default;

std::string_view to_string(PluginKind kind) {
    return kind == PluginKind::source ? "source" : "sink";
}

}  // namespace peoplesync
