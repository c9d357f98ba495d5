// How the CLI finds a running peoplesyncd and asks it to act, so a CLI run
// never races the daemon. The daemon writes a small runtime file next to the
// state database (its pid, its URL and, when the configuration names none,
// the admin token it made), readable only by its own user.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <peoplesync/error.hpp>

#include "settings.hpp"

namespace peoplesync::core {

struct DaemonInfo {
    std::int64_t pid = 0;
    std::string url;    // "http://127.0.0.1:8080"
    std::string token;  // only a token the daemon generated
    std::string config;
    std::string started_at;
};

// "<state_database>.peoplesyncd.json"
std::filesystem::path daemon_info_file(const std::filesystem::path& state_database);
std::optional<DaemonInfo> read_daemon_info(const std::filesystem::path& file);
// Writes the file with owner-only permissions.
void write_daemon_info(const std::filesystem::path& file, const DaemonInfo& info);

// The daemon serving this configuration's state database, when one runs
// and answers at the URL its runtime file names.
std::optional<DaemonInfo> running_daemon(const Settings& settings);

// An answer of the admin API that is not a success: its status and message.
class AdminError : public Error {
public:
    AdminError(int status, const std::string& message) : Error(message), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

class AdminClient {
public:
    AdminClient(std::string url, std::string token);

    // The daemon serving this configuration's state database, when one is
    // running and answers. Throws Error when it runs but its admin token is
    // not known here.
    static std::optional<AdminClient> find(const Settings& settings);

    nlohmann::json get(const std::string& path) const;
    nlohmann::json post(const std::string& path, const nlohmann::json& body = nlohmann::json::object()) const;
    const std::string& url() const { return url_; }

private:
    nlohmann::json call(const std::string& method, const std::string& path, const std::string& body) const;
    std::string url_;
    std::string token_;
};

}  // namespace peoplesync::core
