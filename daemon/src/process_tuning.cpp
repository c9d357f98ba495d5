#include "process_tuning.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <limits>
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

bool release_free_memory() {
#ifdef __GLIBC__
    using namespace std::chrono;
    static std::atomic<std::int64_t> last_ms{std::numeric_limits<std::int64_t>::min() / 2};
    const std::int64_t now_ms = duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
    std::int64_t last = last_ms.load();
    // At most every 10 s: back-to-back runs do not each pay for a walk of the
    // heaps and for faulting the pages in again.
    if (now_ms - last < 10000 || !last_ms.compare_exchange_strong(last, now_ms)) return false;
    malloc_trim(0);
#endif
    return true;
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
