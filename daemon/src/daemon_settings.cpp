#include "daemon_settings.hpp"

#include <Poco/Net/IPAddress.h>

#include "console_password.hpp"
#include "option_tables.hpp"

namespace peoplesync::core {

const OptionTable<HttpSettings>& http_options() {
    static const OptionTable<HttpSettings> table = {
        {option::string("listen", "Address and port of the HTTP server (webhooks, admin API, /health, /metrics).")
             .fallback("127.0.0.1:8080"),
         [](HttpSettings& http, const ConfigValue& value) {
             http.listen = value.as_string();
             try {
                 split_listen_address(http.listen, http.host, http.port);
             } catch (const Error& e) {
                 value.fail(e.what());
             }
         }},
        {option::integer("threads", "Most webhook (and other non-control) requests served at once.")
             .fallback("16")
             .range(1, 1024),
         &HttpSettings::threads},
        {option::integer("control_threads",
                         "Threads of their own for /health, /metrics and the admin API; one is kept for /health "
                         "and /metrics.")
             .fallback("4")
             .range(2, 64),
         &HttpSettings::control_threads},
        {option::integer("queue", "Webhook requests waiting for a thread; beyond, new ones get 503.")
             .fallback("64")
             .range(1, 65536),
         &HttpSettings::queue},
        {option::integer("max_connections",
                         "Open connections, idle ones included; beyond, the longest-waiting idle one is closed.")
             .fallback("512")
             .range(8, 65536),
         &HttpSettings::max_connections},
        {option::integer("keepalive_timeout_secs", "How long an idle keep-alive connection stays open.")
             .fallback("10")
             .range(0, 3600),
         &HttpSettings::keepalive_timeout_secs},
        {option::integer("request_timeout_secs", "Most seconds to wait for the next bytes of a request.")
             .fallback("30")
             .range(1, 3600),
         &HttpSettings::request_timeout_secs},
        {option::integer("max_body_bytes", "Largest request body; larger ones get 413 before they are read.")
             .fallback("1073741824")
             .range(1, INT64_MAX),
         &HttpSettings::max_body_bytes},
        {option::map("tls", "HTTPS: certificate_file and private_key_file (PEM).")},
    };
    return table;
}

const std::vector<OptionSpec>& tls_options() {
    static const std::vector<OptionSpec> options = {
        option::string("certificate_file", "The server's certificate chain, PEM.").required(),
        option::string("private_key_file", "The certificate's private key, PEM.").required(),
    };
    return options;
}

const OptionTable<AdminSettings>& admin_options() {
    static const OptionTable<AdminSettings> table = {
        {option::string("token", "Bearer token of the admin API; empty: a new random one at each start."),
         [](AdminSettings& admin, const ConfigValue& value) {
             admin.token = value.as_string();
             if (!admin.token.empty() && admin.token.size() < 16)
                 value.fail("the admin token is too short: use at least 16 characters (openssl rand -hex 24)");
         }},
        {option::boolean("allow_remote",
                         "Answer admin requests, and serve the console, to other hosts too (they still need the "
                         "token or a console session).")
             .fallback("false"),
         &AdminSettings::allow_remote},
        {option::string("console_password_hash",
                        "The console's sign-in password as `peoplesync console-password` hashes it; empty: the "
                        "console signs in with the admin token only."),
         [](AdminSettings& admin, const ConfigValue& value) {
             admin.console_password_hash = value.as_string();
             if (!admin.console_password_hash.empty())
                 if (std::string problem = console_password_hash_problem(admin.console_password_hash); !problem.empty())
                     value.fail(problem);
         }},
        {option::integer("console_session_secs", "A console session ends this long after its sign-in.")
             .fallback("28800")
             .range(1, 30 * 86400),
         &AdminSettings::console_session_secs},
        {option::integer("console_idle_secs", "A console session ends this long after its last request.")
             .fallback("3600")
             .range(1, 30 * 86400),
         &AdminSettings::console_idle_secs},
    };
    return table;
}

const OptionTable<LogSettings>& log_options() {
    static const OptionTable<LogSettings> table = {
        {option::string("target", "Where log lines go.").fallback("console").one_of({"console", "file", "syslog"}),
         &LogSettings::target},
        {option::string("level", "The least important lines written.")
             .fallback("information")
             .one_of({"debug", "information", "notice", "warning", "error"}),
         &LogSettings::level},
        {option::string("path", "The log file, for target: file.")},
        {option::integer("rotate_bytes", "The log file is rotated when it reaches this size.")
             .fallback("10485760")
             .range(4096, INT64_MAX),
         &LogSettings::rotate_bytes},
        {option::integer("keep_files", "Rotated log files kept.").fallback("5").range(1, 1000),
         &LogSettings::keep_files},
    };
    return table;
}

const OptionTable<RequestSettings>& request_options() {
    static const OptionTable<RequestSettings> table = {
        {option::integer("keep_bodies",
                         "Bodies of pushed requests kept per pipeline, the newest; older finished requests stay "
                         "listed without their bodies. 0: no limit.")
             .fallback("1000")
             .range(0, INT64_MAX),
         &RequestSettings::keep_bodies},
        {option::integer("keep_bodies_days",
                         "Days a finished request's body is kept at most, whatever keep_bodies says. 0: no limit.")
             .fallback("30")
             .range(0, 36500),
         &RequestSettings::keep_bodies_days},
    };
    return table;
}

void split_listen_address(const std::string& text, std::string& host, std::uint16_t& port) {
    std::string host_part, port_part;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw Error("\"" + text + "\" is not an address: write [IPv6]:port");
        host_part = text.substr(1, close - 1);
        port_part = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) throw Error("\"" + text + "\" is not an address: write host:port");
        host_part = text.substr(0, colon);
        port_part = text.substr(colon + 1);
        if (host_part.find(':') != std::string::npos)
            throw Error("\"" + text + "\": write an IPv6 address in brackets, [::1]:8080");
    }
    if (host_part.empty()) host_part = "0.0.0.0";
    if (host_part == "localhost") host_part = "127.0.0.1";
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(host_part, address))
        throw Error("\"" + host_part + "\" is not an IP address (write 127.0.0.1, 0.0.0.0 or [::1])");
    std::size_t used = 0;
    unsigned long number = 0;
    try {
        number = std::stoul(port_part, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (port_part.empty() || used != port_part.size() || number > 65535)
        throw Error("\"" + port_part + "\" is not a port (0 to 65535; 0 picks a free one)");
    host = host_part;
    port = static_cast<std::uint16_t>(number);
}

HttpSettings parse_http_settings(const ConfigValue& value, const std::filesystem::path& base_dir) {
    HttpSettings http = http_options().read(value);
    if (const ConfigValue* tls = value.find("tls"); tls != nullptr && !tls->is_null()) {
        check_options(*tls, tls_options());
        auto resolve = [&](const std::string& path) {
            std::filesystem::path p(path);
            return (p.is_absolute() ? p : base_dir / p).lexically_normal();
        };
        http.tls.certificate_file = resolve(tls->at("certificate_file").as_string());
        http.tls.private_key_file = resolve(tls->at("private_key_file").as_string());
        http.tls.certificate_where = tls->at("certificate_file").where();
        http.tls.private_key_where = tls->at("private_key_file").where();
    }
    return http;
}

AdminSettings parse_admin_settings(const ConfigValue& value) {
    return admin_options().read(value);
}

LogSettings parse_log_settings(const ConfigValue& value, const std::filesystem::path& base_dir) {
    LogSettings log = log_options().read(value);
    if (const ConfigValue* path = value.find("path"); path != nullptr && !path->is_null()) {
        std::filesystem::path p(path->as_string());
        log.path = (p.is_absolute() ? p : base_dir / p).lexically_normal();
    }
    if (log.target == "file" && log.path.empty()) value.fail("target: file needs a path");
    return log;
}

RequestSettings parse_request_settings(const ConfigValue& value) {
    return request_options().read(value);
}

Schedule parse_schedule(const ConfigValue& value) {
    Schedule schedule;
    if (value.is_null()) return schedule;
    const std::string text = value.as_string();
    const std::string how = "write \"every\" and a duration: every 90s, every 30m, every 1h, every 1d";
    if (text.rfind("every ", 0) != 0) value.fail("\"" + text + "\" is not a schedule: " + how);
    std::string amount = text.substr(6);
    while (!amount.empty() && amount.front() == ' ') amount.erase(0, 1);
    std::size_t digits = 0;
    while (digits < amount.size() && std::isdigit(static_cast<unsigned char>(amount[digits])) != 0) ++digits;
    const std::string unit = amount.substr(digits);
    std::int64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
    if (digits == 0 || digits > 9 || scale == 0) value.fail("\"" + text + "\" is not a schedule: " + how);
    schedule.every_secs = std::stoll(amount.substr(0, digits)) * scale;
    if (schedule.every_secs <= 0) value.fail("\"" + text + "\": the interval must be longer than zero");
    schedule.text = text;
    schedule.where = value.where();
    return schedule;
}

}  // namespace peoplesync::core
