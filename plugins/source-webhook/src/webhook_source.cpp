// source `webhook`: the receiving side of the HRIS webhook guide. The HRIS
// POSTs its complete snapshot as JSON to /hriswebhook/sync/<endpoint-token>/
// with its API key in X-HRIS-AUTHENTICATION; peoplesyncd serves the route,
// this plugin checks the request, logs it through the daemon before it
// answers, and hands the snapshot to its pipeline.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <future>
#include <optional>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <nlohmann/json.hpp>

#include <peoplesync/plugin.hpp>
#include <peoplesync/snapshot_json.hpp>

#include "credentials.hpp"

namespace peoplesync::webhook {

namespace {

using nlohmann::json;

constexpr const char* key_header = "X-HRIS-AUTHENTICATION";
constexpr const char* credentials_key = "credentials";
// The guide's formats: a 32-digit endpoint token, a 40-digit API key.
constexpr std::size_t token_bytes = 16;
constexpr std::size_t key_bytes = 20;
// Longer than a sender retries a message: peoplesync's retry.max_age_secs is 3 days.
constexpr std::int64_t default_dedupe_window_secs = 7 * 24 * 3600;

// Filled by source_options(), where the defaults are.
struct Settings {
    std::string path_prefix;
    std::int64_t dedupe_window_secs = 0;
};

const OptionTable<Settings>& source_options() {
    static const OptionTable<Settings> table = {
        {option::string("path_prefix", "The path the endpoints live under; the endpoint token follows it.")
             .fallback("/hriswebhook/sync/"),
         [](Settings& s, const ConfigValue& value) {
             const std::string& prefix = value.text();
             if (prefix.empty() || prefix.front() != '/' || prefix.back() != '/')
                 value.fail("\"" + prefix + "\" must start and end with '/', like /hriswebhook/sync/");
             s.path_prefix = prefix;
         }},
        {option::integer("dedupe_window_secs",
                         "How long, in seconds, a message the pipeline accepted keeps a copy of it (the same "
                         "webhook-id and body, re-sent by a sender that lost the answer) from running again; "
                         "0: every request runs.")
             .fallback(std::to_string(default_dedupe_window_secs))
             .range(0, 366 * 24 * 3600),
         &Settings::dedupe_window_secs},
    };
    return table;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// "application/json; charset=utf-8" -> true; so is any "application/...+json".
bool is_json_media_type(const std::string& content_type) {
    std::string type = lower(content_type.substr(0, content_type.find(';')));
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back())) != 0) type.pop_back();
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front())) != 0) type.erase(0, 1);
    if (type == "application/json") return true;
    return type.rfind("application/", 0) == 0 && type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0;
}

json findings_json(const std::vector<Finding>& findings) {
    json out = json::array();
    for (const auto& f : findings)
        out.push_back({{"severity", to_string(f.severity)}, {"location", f.location}, {"message", f.message}});
    return out;
}

// A body as a snapshot, or why it is none.
struct Parsed {
    explicit Parsed(const std::string& body) {
        try {
            snapshot = parse_snapshot_json(body);
        } catch (const Error& e) {
            problem = e.what();
        }
    }
    Snapshot snapshot;
    std::string problem;
};

void answer(HttpResponse& response, int status, const json& body) {
    response.status = status;
    response.content_type = "application/json";
    response.body = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

class WebhookSource final : public Source, public HttpHandler {
public:
    static constexpr const char* type = "webhook";
    static constexpr const char* description =
        "People pushed by the HRIS: POST the guide's JSON to /hriswebhook/sync/<endpoint-token>/ with "
        "X-HRIS-AUTHENTICATION (peoplesyncd only).";
    static std::vector<OptionSpec> options() { return source_options().specs(); }
    static std::vector<PluginCommand> commands() {
        return {{"credentials",
                 "Makes a new endpoint token and API key and shows them once; the key is stored only as a hash. "
                 "Replaces earlier ones. Argument: the daemon's base URL, to show the whole endpoint."},
                {"endpoint", "Shows the endpoint's path (never the key) and when its credentials were made."}};
    }

    WebhookSource(const ConfigValue& config, Host& host) : host_(host), settings_(source_options().read(config)) {}

    Snapshot read(ReadContext&) override {
        throw Error("source webhook is pushed to: its snapshots arrive at peoplesyncd's " + settings_.path_prefix +
                    " endpoint, they cannot be read. Start the daemon (peoplesyncd) and POST to it");
    }

    bool pushes() const override { return true; }

    void start() override {
        host_.add_route(settings_.path_prefix, *this);
        if (!stored())
            host_.log().warning(
                "pipeline " + host_.pipeline() +
                ": the webhook has no credentials yet; make them with: peoplesync webhook-credentials " +
                host_.pipeline());
    }

    std::string command(const std::string& name, const std::vector<std::string>& arguments) override {
        if (name == "credentials") return make_credentials(arguments.empty() ? "" : arguments.front());
        if (name == "endpoint") return show_endpoint();
        return Source::command(name, arguments);
    }

    bool handle(const HttpRequest& request, HttpResponse& response) override {
        // The path is <prefix><token>/ (the guide's form) or <prefix><token>.
        if (request.path.compare(0, settings_.path_prefix.size(), settings_.path_prefix) != 0) return false;
        std::string token = request.path.substr(settings_.path_prefix.size());
        if (!token.empty() && token.back() == '/') token.pop_back();
        if (token.empty() || token.find('/') != std::string::npos) return false;
        const auto credentials = stored();
        if (!credentials || !equal_in_constant_time(token, credentials->endpoint_token)) return false;

        if (request.method != "POST") {
            response.headers.emplace_back("Allow", "POST");
            answer(response, 405, {{"error", "this endpoint takes POST, not " + request.method}});
            return true;
        }
        // One answer for a missing and a wrong key: the caller learns nothing from the difference.
        if (!equal_in_constant_time(sha256_hex(request.header(key_header)), credentials->key_sha256)) {
            response.headers.emplace_back("WWW-Authenticate", "X-HRIS-AUTHENTICATION");
            answer(response, 401, {{"error", std::string("missing or wrong API key in ") + key_header}});
            return true;
        }

        // Parsed while the request is logged (its body synced to disk), as
        // both take long for a large body; used only once it is logged.
        auto parsed = std::async(std::launch::async, [&request] { return Parsed(request.body); });
        PushGateway& push = host_.push();
        RecordedMessage recorded;
        try {
            recorded = record(push, request);
        } catch (const std::exception& e) {
            host_.log().error("pipeline " + host_.pipeline() + ": a request could not be stored: " + e.what());
            answer(response, 503,
                   {{"error", "the request could not be stored, so it was not accepted; send it again"}});
            return true;
        }
        const std::string& id = recorded.request_id;
        if (answered_by_message_id(push, request, recorded, response)) return true;

        const std::string content_type = request.header("Content-Type");
        if (!is_json_media_type(content_type)) {
            PushReceipt receipt = push.refuse(
                id, "unsupported content type \"" + content_type + "\": send Content-Type: application/json");
            refused(response, 415, receipt);
            return true;
        }

        Parsed payload = parsed.get();
        if (!payload.problem.empty()) {
            refused(response, 400, push.refuse(id, payload.problem));  // "malformed JSON at byte N: ..."
            return true;
        }
        Snapshot snapshot = std::move(payload.snapshot);
        const auto users = static_cast<std::int64_t>(snapshot.users.size());
        PushReceipt receipt = push.submit(id, std::move(snapshot));
        if (!receipt.accepted) {
            refused(response, 400, receipt);
            return true;
        }
        json body = {
            {"request_id", receipt.request_id},
            {"mode", receipt.mode},
            {"status", "validated"},
            {"users", users},
            {"message", receipt.mode == "live"
                            ? "the snapshot is valid and logged; it will be applied"
                            : "the snapshot is valid and logged; test mode: it will be simulated, not applied"},
            {"findings", findings_json(receipt.findings)}};
        answer(response, 202, body);
        return true;
    }

private:
    // Standard Webhooks' message id: the same on every attempt to deliver one message.
    static std::string message_id(const HttpRequest& request) { return request.header("webhook-id"); }

    // Empty when `id` can be kept and shown as it is; else what is wrong with it.
    static std::string message_id_problem(const std::string& id) {
        constexpr std::size_t longest = 256;
        const bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7F; });
        if (printable && id.size() <= longest) return {};
        return "the webhook-id header is not a message id: it must be 1 to " + std::to_string(longest) +
               " printable ASCII characters without spaces, like msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    }

    RecordedMessage record(PushGateway& push, const HttpRequest& request) const {
        const std::string id = message_id(request);
        if (id.empty() || settings_.dedupe_window_secs == 0 || !message_id_problem(id).empty()) {
            RecordedMessage recorded;
            recorded.request_id = push.record_request(request);
            return recorded;
        }
        return push.record_message(request, id, settings_.dedupe_window_secs);
    }

    // Answers a copy of a message, and a message id that is none; false for
    // a request that goes on as any other.
    bool answered_by_message_id(PushGateway& push, const HttpRequest& request, const RecordedMessage& recorded,
                                HttpResponse& response) const {
        using Outcome = RecordedMessage::Outcome;
        if (recorded.outcome == Outcome::duplicate) {
            answer(response, 200,
                   {{"request_id", recorded.request_id},
                    {"mode", recorded.mode},
                    {"status", "duplicate"},
                    {"duplicate_of", recorded.original_id},
                    {"message", recorded.message}});
            return true;
        }
        if (recorded.outcome == Outcome::busy) {
            response.headers.emplace_back("Retry-After", "5");
            answer(response, 503,
                   {{"request_id", recorded.request_id},
                    {"mode", recorded.mode},
                    {"status", "rejected"},
                    {"error", recorded.message}});
            return true;
        }
        if (settings_.dedupe_window_secs == 0) return false;
        const std::string problem = message_id_problem(message_id(request));
        if (problem.empty()) return false;
        refused(response, 400, push.refuse(recorded.request_id, problem));
        return true;
    }

    static void refused(HttpResponse& response, int status, const PushReceipt& receipt) {
        std::size_t errors = 0;
        for (const auto& f : receipt.findings) errors += f.severity == Severity::error ? 1 : 0;
        std::string error = errors == 1 && receipt.findings.size() == 1
                                ? receipt.findings.front().message
                                : "the snapshot has " + std::to_string(errors) + " error" + (errors == 1 ? "" : "s") +
                                      "; nothing was applied";
        answer(response, status,
               {{"request_id", receipt.request_id},
                {"mode", receipt.mode},
                {"status", "rejected"},
                {"error", error},
                {"findings", findings_json(receipt.findings)}});
    }

    std::optional<Credentials> stored() {
        // Read on every request: `peoplesync webhook-credentials` may rotate them at any time.
        auto text = host_.state().get(credentials_key);
        return text ? from_stored(*text) : std::nullopt;
    }

    std::string make_credentials(std::string base_url) {
        Credentials credentials;
        credentials.endpoint_token = random_hex(token_bytes);
        const std::string key = random_hex(key_bytes);
        credentials.key_sha256 = sha256_hex(key);
        credentials.created_at =
            Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(host_.now())),
                                            Poco::DateTimeFormat::ISO8601_FORMAT);
        host_.state().put(credentials_key, to_stored(credentials));
        host_.log().info("pipeline " + host_.pipeline() + ": new webhook credentials; earlier ones stop working");

        while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
        const std::string path = settings_.path_prefix + credentials.endpoint_token + "/";
        const std::string url = (base_url.empty() ? "http://HOST:PORT" : base_url) + path;
        return "Webhook credentials of pipeline " + host_.pipeline() +
               ". The API key is shown only now: peoplesync keeps only its hash. Earlier credentials stop "
               "working.\n"
               "endpoint_token: " +
               credentials.endpoint_token + "\napi_key: " + key + "\nurl: " + url +
               "\nSend a snapshot (the guide's example):\n"
               "  curl --header \"X-HRIS-AUTHENTICATION: " +
               key +
               "\" \\\n"
               "  --header \"Content-Type: application/json\" \\\n"
               "  -X POST \\\n"
               "  --data-binary '@webhook-data-example.json' \\\n  " +
               url + "\n";
    }

    std::string show_endpoint() {
        auto credentials = stored();
        if (!credentials)
            return "pipeline " + host_.pipeline() +
                   " has no webhook credentials yet: make them with peoplesync webhook-credentials " +
                   host_.pipeline() + "\n";
        return "endpoint: " + settings_.path_prefix + credentials->endpoint_token +
               "/\ncreated_at: " + credentials->created_at + "\n";
    }

    Host& host_;
    const Settings settings_;
};

}  // namespace peoplesync::webhook

PEOPLESYNC_PLUGIN(peoplesync::webhook::WebhookSource)
