#include "process_tuning.hpp"

#include <algorithm>
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

void tune_process() {
    // SQLITE_MISUSE once SQLite is initialized: then it stays as it is.
    if (!sqlite_memory_counted()) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, malloc_arenas());
#endif
}

}  // namespace peoplesync::core
