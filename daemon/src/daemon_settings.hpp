// The parts of the configuration only the daemon acts on: its HTTP server,
// the admin API, logging and the schedules of pull pipelines. The CLI reads
// them too, to find a running daemon.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <peoplesync/config.hpp>

namespace peoplesync::core {

struct TlsSettings {
    std::filesystem::path certificate_file;  // PEM; both empty: plain HTTP
    std::filesystem::path private_key_file;
    // "file:line:column: http.tls.certificate_file", for errors found when the files are read
    std::string certificate_where;
    std::string private_key_where;

    bool enabled() const { return !certificate_file.empty(); }
};

// These settings are filled by their option tables (http_options() and the
// others), where the defaults are.
struct HttpSettings {
    std::string listen;      // as written
    std::string host;        // an IP address; "0.0.0.0" or "::" for every interface
    std::uint16_t port = 0;  // 0: any free port (the daemon says which in its runtime file)
    int threads = 0;
    int control_threads = 0;
    int queue = 0;
    int max_connections = 0;
    int keepalive_timeout_secs = 0;
    int request_timeout_secs = 0;
    std::int64_t max_body_bytes = 0;
    TlsSettings tls;
};

struct AdminSettings {
    // Empty: the daemon makes a new random token at each start and writes it
    // to its runtime file, readable only by its own user.
    std::string token;
    bool allow_remote = false;  // only loopback clients reach the admin API unless true
    // The console's password (console_password.hpp); empty: the console signs in with the admin token only.
    std::string console_password_hash;
    std::int64_t console_session_secs = 0;  // a console session ends this long after its sign-in
    std::int64_t console_idle_secs = 0;     // or this long after its last request
};

struct LogSettings {
    std::string target;  // console, file or syslog
    std::string level;
    std::filesystem::path path;  // for target: file
    std::int64_t rotate_bytes = 0;
    int keep_files = 0;
    bool operator==(const LogSettings&) const = default;
};

// How long the request log keeps the bodies of pushed requests (0: no
// limit); the requests themselves stay listed.
struct RequestSettings {
    std::int64_t keep_bodies = 0;       // the newest this many of each pipeline
    std::int64_t keep_bodies_days = 0;  // and none received longer ago than this
    bool operator==(const RequestSettings&) const = default;
};

// `every 30m`: a pull pipeline's runs, at most this far apart.
struct Schedule {
    std::string text;  // as written; empty: no schedule
    std::int64_t every_secs = 0;
    std::string where;  // "file:line:column: pipelines[0].schedule", for errors found later

    bool empty() const { return every_secs == 0; }
};

const OptionTable<HttpSettings>& http_options();
const OptionTable<AdminSettings>& admin_options();
const OptionTable<LogSettings>& log_options();
const OptionTable<RequestSettings>& request_options();

// Each checks its section (null: all defaults) and throws ConfigError with
// the file, line and key of the first problem.
HttpSettings parse_http_settings(const ConfigValue& value, const std::filesystem::path& base_dir);
AdminSettings parse_admin_settings(const ConfigValue& value);
LogSettings parse_log_settings(const ConfigValue& value, const std::filesystem::path& base_dir);
RequestSettings parse_request_settings(const ConfigValue& value);
Schedule parse_schedule(const ConfigValue& value);

// "[::1]:8080" / "127.0.0.1:8080" / ":8080" -> host and port. Throws Error.
void split_listen_address(const std::string& text, std::string& host, std::uint16_t& port);

}  // namespace peoplesync::core
