#include "admin_access.hpp"

#include <algorithm>
#include <thread>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/RandomStream.h>
#include <Poco/Timestamp.h>
#include <nlohmann/json.hpp>

#include "console_password.hpp"
#include "http_server.hpp"

namespace peoplesync::server {

using nlohmann::json;

namespace {

constexpr const char* session_cookie = "peoplesync_session";
constexpr const char* csrf_header = "X-CSRF-Token";
constexpr std::size_t most_sessions = 64;
// A refused sign-in is answered this long after it arrived, however long the check took: guessing is slow,
// and the time says nothing about how a guess compared.
constexpr auto refusal_delay = std::chrono::milliseconds(300);

bool is_loopback(const std::string& address) {
    std::string host = address;
    if (host.rfind("::ffff:", 0) == 0) host = host.substr(7);  // IPv4 through an IPv6 socket
    Poco::Net::IPAddress ip;
    return Poco::Net::IPAddress::tryParse(host, ip) && ip.isLoopback();
}

bool same_in_constant_time(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
    return difference == 0;
}

// The value of one cookie of the Cookie header; empty if it is not there.
std::string cookie_value(const std::string& header, const std::string& name) {
    std::size_t at = 0;
    while (at < header.size()) {
        std::size_t end = header.find(';', at);
        if (end == std::string::npos) end = header.size();
        std::string pair = header.substr(at, end - at);
        const auto first = pair.find_first_not_of(' ');
        pair = first == std::string::npos ? "" : pair.substr(first);
        if (pair.size() > name.size() && pair.compare(0, name.size(), name) == 0 && pair[name.size()] == '=')
            return pair.substr(name.size() + 1);
        at = end + 1;
    }
    return {};
}

std::string iso8601(std::chrono::system_clock::time_point at) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(std::chrono::system_clock::to_time_t(at)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

}  // namespace

std::string random_hex(std::size_t bytes) {
    // From the operating system's generator (/dev/urandom; CryptGenRandom on Windows).
    Poco::RandomInputStream random;
    std::string raw(bytes, '\0');
    random.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 0x0f];
    }
    return out;
}

void add_security_headers(HttpResponse& response, bool data) {
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    if (data) response.headers.emplace_back("Cache-Control", "no-store");
}

void AdminAccess::configure(const core::AdminSettings& settings, const std::string& token, bool tls) {
    std::lock_guard lock(mutex_);
    // Whoever signed in with a secret that changed is no longer known to have it.
    if (token != token_ || settings.console_password_hash != settings_.console_password_hash) sessions_.clear();
    settings_ = settings;
    token_ = token;
    tls_ = tls;
}

bool AdminAccess::allows(const std::string& remote_address) const {
    std::lock_guard lock(mutex_);
    return settings_.allow_remote || is_loopback(remote_address);
}

void AdminAccess::drop_expired(Clock::time_point now) {
    const auto lifetime = std::chrono::seconds(settings_.console_session_secs);
    const auto idle = std::chrono::seconds(settings_.console_idle_secs);
    std::erase_if(sessions_,
                  [&](const Session& s) { return now - s.signed_in >= lifetime || now - s.last_seen >= idle; });
}

AdminAccess::Session* AdminAccess::session_of(const HttpRequest& request) {
    const std::string id = cookie_value(request.header("Cookie"), session_cookie);
    if (id.empty()) return nullptr;
    const auto now = Clock::now();
    drop_expired(now);
    Session* found = nullptr;
    // Every session is compared, in constant time: the time taken says nothing about a guess.
    for (auto& session : sessions_)
        if (same_in_constant_time(session.id, id)) found = &session;
    if (found != nullptr) found->last_seen = now;
    return found;
}

bool AdminAccess::admit(const HttpRequest& request, HttpResponse& response) {
    if (!allows(request.remote_address)) {
        error_answer(response, 403, "the admin API answers only on this machine (admin.allow_remote is false)");
        return false;
    }
    const std::string authorization = request.header("Authorization");
    std::lock_guard lock(mutex_);
    if (authorization.empty() && !request.header("Cookie").empty()) {
        if (const Session* session = session_of(request)) {
            // A browser sends the cookie by itself, even for another site's form; never this header.
            const bool reads = request.method == "GET" || request.method == "HEAD";
            if (!reads && !same_in_constant_time(request.header(csrf_header), session->csrf)) {
                error_answer(response, 403, "missing or wrong CSRF token (X-CSRF-Token)");
                return false;
            }
            return true;
        }
    }
    if (!same_in_constant_time(authorization, "Bearer " + token_)) {
        response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"peoplesyncd admin\"");
        error_answer(response, 401,
                     "missing or wrong admin token (Authorization: Bearer TOKEN), and no console session");
        return false;
    }
    return true;
}

std::string AdminAccess::cookie(const std::string& value, std::int64_t max_age_secs) const {
    return std::string(session_cookie) + "=" + value +
           "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_secs) + (tls_ ? "; Secure" : "");
}

void AdminAccess::session_endpoint(const HttpRequest& request, HttpResponse& response) {
    if (!allows(request.remote_address)) {
        error_answer(response, 403, "the console answers only on this machine (admin.allow_remote is false)");
        return;
    }
    if (request.method == "POST") return sign_in(request, response);
    std::lock_guard lock(mutex_);
    Session* session = session_of(request);
    if (request.method == "GET" || request.method == "HEAD") {
        if (session == nullptr) {
            json_answer(response, 401,
                        json{{"error", "not signed in"},
                             {"signed_in", false},
                             {"password_sign_in", !settings_.console_password_hash.empty()}}
                            .dump());
            return;
        }
        json_answer(response, 200,
                    json{{"signed_in", true},
                         {"csrf_token", session->csrf},
                         {"expires_at", iso8601(session->ends_at)},
                         {"idle_timeout_secs", settings_.console_idle_secs}}
                        .dump());
        return;
    }
    if (request.method == "DELETE") {
        if (session != nullptr) {
            if (!same_in_constant_time(request.header(csrf_header), session->csrf)) {
                error_answer(response, 403, "missing or wrong CSRF token (X-CSRF-Token)");
                return;
            }
            const std::string id = session->id;
            std::erase_if(sessions_, [&](const Session& s) { return s.id == id; });
        }
        response.headers.emplace_back("Set-Cookie", cookie("", 0));
        json_answer(response, 200, json{{"signed_in", false}}.dump());
        return;
    }
    response.headers.emplace_back("Allow", "GET, POST, DELETE");
    error_answer(response, 405, "/console/session takes GET, POST or DELETE, not " + request.method);
}

void AdminAccess::sign_in(const HttpRequest& request, HttpResponse& response) {
    const auto arrived = Clock::now();
    const json body = json::parse(request.body, nullptr, false);
    const bool with_token = body.is_object() && body.contains("token") && body["token"].is_string();
    const bool with_password = body.is_object() && body.contains("password") && body["password"].is_string();
    if (with_token == with_password) {
        error_answer(response, 400, "sign in with {\"token\": \"the admin token\"} or {\"password\": \"...\"}");
        return;
    }
    std::string token, password_hash;
    {
        std::lock_guard lock(mutex_);
        token = token_;
        password_hash = settings_.console_password_hash;
    }
    std::string refusal;
    if (with_token) {
        if (!same_in_constant_time(body["token"].get<std::string>(), token)) refusal = "wrong admin token";
    } else if (password_hash.empty()) {
        refusal = "the console has no password (admin.console_password_hash): sign in with the admin token";
    } else if (!core::console_password_matches(body["password"].get<std::string>(), password_hash)) {
        refusal = "wrong console password";
    }
    if (!refusal.empty()) {
        metrics_.console_sign_in("refused");
        std::this_thread::sleep_until(arrived + refusal_delay);
        error_answer(response, 401, refusal);
        return;
    }

    Session session;
    session.id = random_hex(32);
    session.csrf = random_hex(32);
    session.signed_in = session.last_seen = Clock::now();
    std::int64_t lifetime = 0, idle = 0;
    {
        std::lock_guard lock(mutex_);
        lifetime = settings_.console_session_secs;
        idle = settings_.console_idle_secs;
        session.ends_at = std::chrono::system_clock::now() + std::chrono::seconds(lifetime);
        drop_expired(session.signed_in);
        if (sessions_.size() >= most_sessions)
            sessions_.erase(std::min_element(sessions_.begin(), sessions_.end(),
                                             [](const auto& a, const auto& b) { return a.signed_in < b.signed_in; }));
        sessions_.push_back(session);
        response.headers.emplace_back("Set-Cookie", cookie(session.id, lifetime));
    }
    metrics_.console_sign_in("signed_in");
    json_answer(response, 200,
                json{{"signed_in", true},
                     {"csrf_token", session.csrf},
                     {"expires_at", iso8601(session.ends_at)},
                     {"idle_timeout_secs", idle}}
                    .dump());
}

}  // namespace peoplesync::server
