#include "body_memory.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#if defined(_WIN32)
#include <windows.h>
#endif

namespace peoplesync::server {

namespace {

#if !defined(_WIN32)
std::optional<std::int64_t> read_number(const std::string& file) {
    std::ifstream in(file);
    std::string text;
    if (!(in >> text) || text == "max") return std::nullopt;
    try {
        return std::stoll(text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<std::int64_t> system_available() {
    std::ifstream in("/proc/meminfo");
    std::string name, unit;
    std::int64_t kib = 0;
    while (in >> name >> kib) {
        std::getline(in, unit);
        if (name == "MemAvailable:") return kib * 1024;
    }
    return std::nullopt;
}

// cgroup v2 (a systemd unit's MemoryMax=, a container's limit): "0::/PATH".
std::optional<std::int64_t> group_available() {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("0::", 0) != 0) continue;
        const std::string folder = "/sys/fs/cgroup" + line.substr(3);
        const auto limit = read_number(folder + "/memory.max");
        const auto used = read_number(folder + "/memory.current");
        if (limit && used) return std::max<std::int64_t>(*limit - *used, 0);
    }
    return std::nullopt;
}
#endif

std::string mib(std::int64_t bytes) {
    return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

}  // namespace

std::optional<std::int64_t> available_memory_bytes() {
#if defined(_WIN32)
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof status;
    if (!GlobalMemoryStatusEx(&status)) return std::nullopt;
    return static_cast<std::int64_t>(status.ullAvailPhys);
#else
    const auto system = system_available();
    const auto group = group_available();
    if (system && group) return std::min(*system, *group);
    return system ? system : group;
#endif
}

std::string body_memory_problem(std::int64_t bytes, std::optional<std::int64_t> available) {
    if (!available || bytes <= 0) return {};
    const std::int64_t needed =
        bytes > INT64_MAX / push_memory_per_body_byte ? INT64_MAX : bytes * push_memory_per_body_byte;
    if (needed <= *available) return {};
    return "the request body (" + std::to_string(bytes) + " bytes) needs about " + mib(needed) +
           " of memory to be received, validated and run, and this machine has " + mib(*available) +
           " available: give the daemon more memory, or send fewer users per request";
}

}  // namespace peoplesync::server
