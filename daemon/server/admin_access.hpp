// Who may use the admin API and the console: clients on this machine unless
// admin.allow_remote, with the admin token as a bearer token, or with a
// console session (a cookie made by signing in with the token or the console
// password). A request made with a session cookie that changes anything must
// carry the session's CSRF token in X-CSRF-Token: a page of another site can
// make a browser send the cookie, never read the token.
//
// Sessions live in memory: a restart, or a new admin token or console
// password, signs everyone out.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include <peoplesync/http.hpp>

#include "daemon_settings.hpp"
#include "metrics.hpp"

namespace peoplesync::server {

// `bytes` bytes from the operating system's random source, as lower-case hex.
std::string random_hex(std::size_t bytes);

// The Content-Security-Policy and its companions, on every console and admin
// answer; `data`: the answer holds data, which no cache may keep.
void add_security_headers(HttpResponse& response, bool data);

class AdminAccess {
public:
    explicit AdminAccess(Metrics& metrics) : metrics_(metrics) {}

    // The settings of a start or a reload; `token` is the admin token in use
    // (the configured one, or the one the daemon made). `tls`: cookies are Secure.
    void configure(const core::AdminSettings& settings, const std::string& token, bool tls);

    // False when admin.allow_remote is off and the client is not on this machine.
    bool allows(const std::string& remote_address) const;
    // An admin API request: true when it may go on; else `response` holds
    // the refusal (403 for the address or the CSRF token, 401 otherwise).
    bool admit(const HttpRequest& request, HttpResponse& response);

    // /console/session: POST signs in, GET says whether the cookie's session
    // lives, DELETE signs out.
    void session_endpoint(const HttpRequest& request, HttpResponse& response);

private:
    using Clock = std::chrono::steady_clock;
    struct Session {
        std::string id;    // the cookie's value
        std::string csrf;  // X-CSRF-Token
        Clock::time_point signed_in, last_seen;
        std::chrono::system_clock::time_point ends_at;  // for the page, in wall-clock time
    };

    void sign_in(const HttpRequest& request, HttpResponse& response);
    // The live session the request's cookie names, with mutex_ held; null if none.
    Session* session_of(const HttpRequest& request);
    void drop_expired(Clock::time_point now);
    std::string cookie(const std::string& value, std::int64_t max_age_secs) const;

    Metrics& metrics_;
    mutable std::mutex mutex_;
    core::AdminSettings settings_;
    std::string token_;
    bool tls_ = false;
    std::vector<Session> sessions_;
};

}  // namespace peoplesync::server
