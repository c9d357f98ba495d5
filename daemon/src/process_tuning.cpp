#include "process_tuning.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <sqlite3.h>

namespace peoplesync::core {

int malloc_arenas() {
    return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2, 4);
}

namespace {

bool sqlite_stats_asked() {
    const char* asked = std::getenv("PEOPLESYNC_SQLITE_STATS");
    return asked != nullptr && std::string_view(asked) == "1";
}

}  // namespace

bool sqlite_memory_counted() {
    static const bool counted = sqlite_stats_asked();
    return counted;
}

namespace {
std::atomic<bool> trimming{false};
std::atomic<std::uint64_t> trims{0};
std::atomic<std::uint64_t> trim_nanoseconds{0};
}  // namespace

void release_free_memory() {
#ifdef __GLIBC__
    // One trim at a time: a second one would wait for the heaps' locks to walk
    // what the first has just given back.
    if (trimming.exchange(true)) return;
    const auto started = std::chrono::steady_clock::now();
    malloc_trim(0);
    const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
    trim_nanoseconds += static_cast<std::uint64_t>(took.count());
    ++trims;
    trimming = false;
#endif
}

TrimCount trims_done() {
    return {trims.load(), static_cast<double>(trim_nanoseconds.load()) / 1e9};
}

void tune_process() {
    // SQLITE_MISUSE once SQLite is initialized: then it stays as it is.
    if (!sqlite_memory_counted()) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
#ifdef __GLIBC__
    if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 1 << 20);
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, malloc_arenas());
#endif
}

}  // namespace peoplesync::core
