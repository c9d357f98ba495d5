// sink `webhook`: the sending side of the HRIS webhook guide. apply() works
// out what the receiver must be told and queues it in the core's outbox;
// the core hands each message to deliver() on its own thread, which POSTs it
// and says whether it arrived, should be retried or was refused for good.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>

#include <peoplesync/plugin.hpp>
#include <peoplesync/snapshot_json.hpp>

#include "http_delivery.hpp"
#include "option_values.hpp"
#include "signature.hpp"
#include "webhook_state.hpp"

#ifndef PEOPLESYNC_VERSION
#define PEOPLESYNC_VERSION "dev"
#endif

namespace peoplesync::webhook_sink {

namespace {

enum class Format { hris, events };

// Filled by parse_settings() through sink_options(), where the defaults are.
struct Settings {
    Format format = Format::hris;
    std::int64_t batch_size = 0;
    DeliverySettings delivery;
};

bool present(const ConfigValue& config, std::string_view key) {
    const ConfigValue* value = config.find(key);
    return value != nullptr && !value->is_null();
}

bool is_loopback(const std::string& host) {
    if (host == "localhost") return true;
    Poco::Net::IPAddress address;
    return Poco::Net::IPAddress::tryParse(host, address) && address.isLoopback();
}

// The path as logs show it: a long token in it (the guide's endpoint token)
// keeps only its first four characters, as the webhook source logs it.
std::string shown_path(const std::string& path) {
    if (path.empty()) return "/";
    std::string out;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string segment = path.substr(start, end - start);
        const bool token = segment.size() >= 16 && std::all_of(segment.begin(), segment.end(), [](char c) {
                               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                      c == '-' || c == '_';
                           });
        out += token ? segment.substr(0, 4) + "..." : segment;
        if (end == path.size()) break;
        out += '/';
        start = end + 1;
    }
    return out;
}

// The option's text as a URL; fails at the option when it is none.
Poco::URI uri_of(const ConfigValue& option) {
    try {
        return Poco::URI(option.text());
    } catch (const Poco::Exception& e) {
        option.fail("\"" + option.text() + "\" is not a URL: " + e.message());
    }
}

void parse_url(const ConfigValue& option, DeliverySettings& s) {
    const std::string& text = option.text();
    const Poco::URI uri = uri_of(option);
    if (!uri.getUserInfo().empty())
        option.fail("the URL carries a user name or password; give the receiver's API key with api_key_env instead");
    if (uri.getScheme() != "http" && uri.getScheme() != "https")
        option.fail("\"" + text + "\" must start with https:// (or http://)");
    if (uri.getHost().empty()) option.fail("\"" + text + "\" names no host");
    s.https = uri.getScheme() == "https";
    s.host = uri.getHost();
    s.port = uri.getPort();
    s.target = uri.getPathAndQuery();
    if (s.target.empty()) s.target = "/";
    const bool ipv6 = s.host.find(':') != std::string::npos;
    s.display_url = uri.getScheme() + "://" + (ipv6 ? "[" + s.host + "]" : s.host);
    if (uri.getSpecifiedPort() != 0) s.display_url += ":" + std::to_string(s.port);
    s.display_url += shown_path(uri.getPath());
}

void parse_proxy(const ConfigValue& option, DeliverySettings& s) {
    const std::string& text = option.text();
    const Poco::URI uri = uri_of(option);
    if (!uri.getUserInfo().empty()) option.fail("proxies that need a user name and password are not supported");
    if (uri.getScheme() != "http" || uri.getHost().empty() || uri.getSpecifiedPort() == 0 ||
        (uri.getPath() != "" && uri.getPath() != "/"))
        option.fail("\"" + text + "\" is not a proxy address like http://proxy.example.com:3128");
    s.proxy_host = uri.getHost();
    s.proxy_port = uri.getPort();
}

const OptionTable<Settings>& sink_options() {
    static const OptionTable<Settings> table = {
        {option::string("url",
                        "The receiver's endpoint, https:// (or http://), e.g. "
                        "https://hr.example.com/hriswebhook/sync/e4a7.../.")
             .required()},
        {option::string("format",
                        "hris: the whole organisation in the guide's format on every change; events: one signed "
                        "event per change, in batches.")
             .fallback("hris")
             .one_of({"hris", "events"}),
         [](Settings& s, const ConfigValue& value) {
             s.format = value.text() == "events" ? Format::events : Format::hris;
         }},
        {option::string("api_key_env",
                        "The name of the environment variable holding the receiver's API key, sent in "
                        "X-HRIS-AUTHENTICATION. Required for format hris.")},
        {option::string("signing_secret_env",
                        "The name of the environment variable holding the Standard Webhooks signing secret "
                        "(whsec_ followed by base64). Required for format events; with hris, messages are "
                        "signed too.")},
        {option::integer("batch_size", "Format events: events per message.").fallback("500").range(1, 10000),
         &Settings::batch_size},
        {option::string("ca_file",
                        "PEM file of the CA certificates that sign the receiver's certificate. Default: the "
                        "system's trusted CAs. Relative to the configuration file.")},
        {option::boolean("verify_certificate",
                         "Check the receiver's certificate and host name. Turning this off lets anybody between "
                         "peoplesync and the receiver read the API key and change the people.")
             .fallback("true"),
         [](Settings& s, const ConfigValue& value) { s.delivery.verify_certificate = value.as_bool(); }},
        {option::integer("connect_timeout_secs", "How long to wait for the connection and the TLS handshake.")
             .fallback("10")
             .range(1, 600),
         [](Settings& s, const ConfigValue& value) { s.delivery.connect_timeout_secs = value.as_integer(); }},
        {option::integer("timeout_secs", "How long to wait for the receiver while sending and for its answer.")
             .fallback("30")
             .range(1, 3600),
         [](Settings& s, const ConfigValue& value) { s.delivery.timeout_secs = value.as_integer(); }},
        {option::string("proxy",
                        "An HTTP proxy to go through, e.g. http://proxy.example.com:3128 (https is "
                        "tunnelled with CONNECT).")},
    };
    return table;
}

// Every check on the configuration, before any I/O.
Settings parse_settings(const ConfigValue& config, Host& host) {
    Settings settings = sink_options().read(config);
    DeliverySettings& s = settings.delivery;
    parse_url(config.at("url"), s);
    const bool events = settings.format == Format::events;

    if (present(config, "api_key_env"))
        s.api_key = options::from_environment(config.at("api_key_env"), "the receiver's API key", "HRIS_WEBHOOK_KEY");
    else if (!events)
        config.fail(
            "api_key_env is missing: format hris sends the receiver's API key in X-HRIS-AUTHENTICATION; "
            "name the environment variable that holds it");

    if (present(config, "signing_secret_env")) {
        const ConfigValue& option = config.at("signing_secret_env");
        const std::string secret =
            options::from_environment(option, "the signing secret (whsec_...)", "HRIS_WEBHOOK_KEY");
        try {
            s.signing_key = signing_key(secret);
        } catch (const Error& e) {
            option.fail("the environment variable " + option.text() + ": " + e.what());
        }
    } else if (events) {
        config.fail(
            "signing_secret_env is missing: format events signs every message; name the environment "
            "variable that holds the signing secret (whsec_ followed by base64)");
    }

    if (present(config, "batch_size")) {
        if (!events) config.at("batch_size").fail("applies to format events only; this sink's format is hris");
    }

    if (present(config, "ca_file")) {
        const ConfigValue& option = config.at("ca_file");
        if (option.text().empty()) option.fail("the path is empty");
        if (!s.https) option.fail("is used only with an https:// url");
        s.ca_file = host.resolve_path(option.text());
    }
    if (!s.verify_certificate && !s.https)
        config.at("verify_certificate").fail("there is no certificate to verify without an https:// url");
    if (present(config, "proxy")) parse_proxy(config.at("proxy"), s);
    s.user_agent = std::string("peoplesync/") + PEOPLESYNC_VERSION;

    const std::string who = "pipeline " + host.pipeline() + ": sink webhook " + s.display_url;
    if (!s.verify_certificate)
        host.log().warning(who +
                           ": verify_certificate is false: anybody between peoplesync and the receiver can "
                           "read and change what is sent" +
                           (s.api_key.empty() ? "" : ", API key included"));
    if (!s.https && !s.api_key.empty() && !is_loopback(s.host))
        host.log().warning(who + ": the API key goes over plain http, readable on the network; use https://");
    return settings;
}

std::string counts(const ChangeSummary& summary) {
    const std::pair<const char*, std::int64_t> parts[] = {
        {"created", summary.created},
        {"linked", summary.linked},
        {"updated", summary.updated},
        {"reactivated", summary.reactivated},
        {"deactivated", summary.deactivated},
        {"unsynced", summary.unsynced},
        {"departments created", summary.departments_created},
        {"memberships added", summary.memberships_added},
        {"memberships removed", summary.memberships_removed},
        {"managers changed", summary.managers_changed},
    };
    std::string out;
    for (const auto& [name, count] : parts)
        if (count != 0) out += (out.empty() ? "" : ", ") + std::string(name) + " " + std::to_string(count);
    return out.empty() ? "no change to the users" : out;
}

}  // namespace

class WebhookSink final : public Sink, public HeldUsers {
public:
    static constexpr const char* type = "webhook";
    static constexpr const char* description =
        "Sends the people to a remote HRIS webhook endpoint (the guide's format, or signed change events), "
        "through the core's outbox with retries.";

    static std::vector<OptionSpec> options() { return sink_options().specs(); }

    WebhookSink(const ConfigValue& config, Host& host) : host_(host), settings_(parse_settings(config, host)) {
        try {
            delivery_ = std::make_unique<const HttpDelivery>(settings_.delivery);
        } catch (const Error& e) {
            if (present(config, "ca_file")) config.at("ca_file").fail(e.what());
            throw;
        }
    }

    DestinationIndex load_index() override {
        state_ = parse_state(host_.outbox().state());
        return index_of(*state_);
    }

    std::vector<DestinationRecord> fetch(std::span<const std::int64_t> ids) override {
        return records_of(loaded(), ids);
    }

    // The state is read and parsed whole, apart from the run's (state_ is
    // the run's); the outbox is the core's and may be read from any thread.
    std::vector<std::string> held_hris_ids(std::span<const std::string> hris_ids) override {
        std::vector<std::string> held;
        if (hris_ids.empty()) return held;
        const WebhookState state = parse_state(host_.outbox().state());
        std::set<std::string_view> wanted(hris_ids.begin(), hris_ids.end());
        for (const UserView user : state.snapshot.users)
            if (wanted.erase(user.hris_id) != 0) held.emplace_back(user.hris_id);
        return held;
    }

    void apply(const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context) override {
        const WebhookState& current = loaded();
        WebhookState next = next_state(current, snapshot, changes);
        std::vector<OutboxMessage> messages;
        if (settings_.format == Format::hris) {
            const auto users = next.snapshot.users.size();
            messages.push_back({context.run_id, to_json(next.snapshot, next.synced_fields), dump_state(next),
                                "snapshot of " + std::to_string(users) + " user" + (users == 1 ? "" : "s") + " (" +
                                    counts(changes.summary()) + ")"});
        } else {
            messages = batches(change_events(next, changes), dump_state(next), changes, context);
        }
        host_.outbox().enqueue(messages);
        // The next run reads the state back from the outbox, where it now is.
        state_.reset();
    }

    // What load_index() returns is the outbox's state, changed by nothing
    // but this sink's runs and an operator's drop; what the receiver's own
    // users change there is not seen (full_resync_every_secs reads again).
    std::string state_token() override {
        const std::string outbox = host_.outbox().state_token();
        return outbox.empty() ? "" : "outbox " + outbox;
    }

    bool delivers() const override { return true; }

    DeliveryResult deliver(const Delivery& delivery) override { return delivery_->deliver(delivery, host_.now()); }

private:
    const WebhookState& loaded() {
        if (!state_) state_ = parse_state(host_.outbox().state());
        return *state_;
    }

    std::vector<OutboxMessage> batches(const std::vector<nlohmann::json>& events, std::string state,
                                       const ChangeSet& changes, const ApplyContext& context) const {
        const auto size = static_cast<std::size_t>(settings_.batch_size);
        // A run whose changes make no event (only peoplesync's bookkeeping
        // changed) still sends one empty batch: it carries the new state.
        const std::size_t count = events.empty() ? 1 : (events.size() + size - 1) / size;
        const std::string what = counts(changes.summary());
        std::vector<OutboxMessage> messages;
        messages.reserve(count);
        for (std::size_t b = 0; b < count; ++b) {
            const std::size_t first = b * size, last = std::min(events.size(), first + size);
            nlohmann::json list = nlohmann::json::array();
            for (std::size_t i = first; i < last; ++i) list.push_back(events[i]);
            nlohmann::json body = {{"run_id", context.run_id},
                                   {"pipeline", context.pipeline},
                                   {"batch", b + 1},
                                   {"batches", count},
                                   {"events", std::move(list)}};
            OutboxMessage message;
            message.run_id = context.run_id;
            message.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            if (b + 1 == count) message.state = std::move(state);
            message.summary =
                "events " +
                (first == last ? std::string("none") : std::to_string(first + 1) + "-" + std::to_string(last)) +
                " of " + std::to_string(events.size()) + " (batch " + std::to_string(b + 1) + " of " +
                std::to_string(count) + ": " + what + ")";
            messages.push_back(std::move(message));
        }
        return messages;
    }

    Host& host_;
    const Settings settings_;
    std::unique_ptr<const HttpDelivery> delivery_;  // set up once; deliver() only reads it
    std::optional<WebhookState> state_;             // as load_index() read it; for fetch() and apply()
};

}  // namespace peoplesync::webhook_sink

PEOPLESYNC_PLUGIN(peoplesync::webhook_sink::WebhookSink)
