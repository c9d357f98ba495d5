// Reads a directory through the ldap source plugin, loaded from the plugin
// folder exactly as the daemon loads it, and normalizes the snapshot as the
// pipeline's first stage does. Prints one JSON line with the timings.
//   ldap_bench --uri ldap://127.0.0.1:PORT --base-dn ou=people,dc=example,dc=com [--page-size 1000]
//              [--expect N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <sys/resource.h>
#include <nlohmann/json.hpp>

#include "pipeline.hpp"
#include "plugin_host.hpp"
#include "settings.hpp"

namespace {

using namespace peoplesync;

class QuietHost final : public Host, public Logger {
public:
    Logger& log() override { return *this; }
    KeyValueStore& state() override { throw Error("the bench has no state store"); }
    std::int64_t now() override { return 0; }
    std::string resolve_path(const std::string& path) override { return path; }
    const std::string& pipeline() override { return name_; }
    void debug(const std::string&) override {}
    void info(const std::string&) override {}
    void warning(const std::string& m) override { std::cerr << "warning: " << m << "\n"; }
    void error(const std::string& m) override { std::cerr << "error: " << m << "\n"; }

private:
    std::string name_ = "bench";
};

class NoProgress final : public ReadContext {
public:
    void progress(std::int64_t) override {}
};

// CPU seconds this process has used, user and system together.
double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::string uri, base_dn, page_size = "1000";
    long long expect = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--uri")
            uri = argv[i + 1];
        else if (flag == "--base-dn")
            base_dn = argv[i + 1];
        else if (flag == "--page-size")
            page_size = argv[i + 1];
        else if (flag == "--expect")
            expect = std::stoll(argv[i + 1]);
        else {
            std::cerr << "unknown option " << flag << "\n";
            return 2;
        }
    }
    if (uri.empty() || base_dn.empty()) {
        std::cerr << "usage: ldap_bench --uri URI --base-dn DN [--page-size N] [--expect USERS]\n";
        return 2;
    }
    try {
        const auto loading = std::chrono::steady_clock::now();
        core::PluginHost plugins({core::default_plugin_dir()});
        QuietHost host;
        const ConfigValue config = core::parse_config_text(
            "uri: " + uri + "\nbase_dn: '" + base_dn + "'\npage_size: " + page_size + "\n", "bench.yaml");
        auto source = plugins.make_source("ldap", config, host);
        const double load_seconds = seconds_since(loading);

        NoProgress progress;
        const auto reading = std::chrono::steady_clock::now();
        const double cpu_before = cpu_seconds();
        Snapshot snapshot = source->read(progress);
        const double read_seconds = seconds_since(reading);
        const double read_cpu_seconds = cpu_seconds() - cpu_before;

        core::SyncPolicy policy;
        for (auto field : all_fields()) policy.fields.emplace_back(field);
        const auto normalizing = std::chrono::steady_clock::now();
        core::normalize(snapshot, policy);
        const double normalize_seconds = seconds_since(normalizing);

        const auto validating = std::chrono::steady_clock::now();
        const auto invalid = core::validate(snapshot, policy);
        const double validate_seconds = seconds_since(validating);

        std::size_t managers = 0, departments = 0;
        for (const auto& user : snapshot.users) {
            managers += user.manager_hris_id.empty() ? 0 : 1;
            departments += user.departments.size();
        }
        const nlohmann::json out = {{"users", snapshot.users.size()},
                                    {"with_manager", managers},
                                    {"department_memberships", departments},
                                    {"findings", snapshot.findings.size()},
                                    {"invalid", std::count(invalid.begin(), invalid.end(), 1)},
                                    {"load_seconds", load_seconds},
                                    {"read_seconds", read_seconds},
                                    {"read_cpu_seconds", read_cpu_seconds},
                                    {"normalize_seconds", normalize_seconds},
                                    {"validate_seconds", validate_seconds}};
        std::cout << out.dump() << std::endl;
        if (expect >= 0 && static_cast<long long>(snapshot.users.size()) != expect) {
            std::cerr << "expected " << expect << " users, read " << snapshot.users.size() << "\n";
            return 1;
        }
    } catch (const std::exception& e) {
        std::cerr << "ldap_bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
