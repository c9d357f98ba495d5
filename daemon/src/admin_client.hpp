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
    // With HTTPS: the SHA-256 fingerprint of the certificate it serves, the
    // only one the CLI accepts from it ("AB:CD:...").
    std::string certificate_sha256;
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

// What answers at the https URL of a runtime file cannot be recognised as
// the daemon that wrote it (another certificate, or no fingerprint to check
// it by): nothing was sent to it.
class CertificateMismatch : public Error {
public:
    using Error::Error;
};

class AdminClient {
public:
    // An https URL is trusted only with the certificate whose fingerprint is
    // `certificate_sha256` (DaemonInfo); nothing is sent to another one.
    AdminClient(std::string url, std::string token, std::string certificate_sha256 = {});

    // The daemon serving this configuration's state database, when one is
    // running and answers. Throws Error when it runs but its admin token is
    // not known here, CertificateMismatch when what answers at its URL is
    // not it.
    static std::optional<AdminClient> find(const Settings& settings);

    nlohmann::json get(const std::string& path) const;
    nlohmann::json post(const std::string& path, const nlohmann::json& body = nlohmann::json::object()) const;
    const std::string& url() const { return url_; }

private:
    nlohmann::json call(const std::string& method, const std::string& path, const std::string& body) const;
    std::string url_;
    std::string token_;
    std::string certificate_sha256_;
};

}  // namespace peoplesync::core
