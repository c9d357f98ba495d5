#include "process_tuning.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <sqlite3.h>

namespace peoplesync::core {

int malloc_arenas() {
    return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2, 4);
}

void tune_process() {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // SQLITE_MISUSE once initialized: then it stays as it is
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, malloc_arenas());
#endif
}

}  // namespace peoplesync::core
