// Process-wide settings of memory and SQLite, for the CLI and the daemon.
#pragma once

#include <cstdint>

namespace peoplesync::core {

// Call first thing in main(), before any thread starts and any database is
// opened.
// - SQLite without memory statistics, whose global mutex every SQLite
//   allocation would take (a run writes the directory and its snapshot on
//   two threads at once): a run of 1,000,000 people took 9.5 s with them
//   and 7.7 s without. PEOPLESYNC_SQLITE_STATS=1 in the environment keeps
//   them, for /metrics to show SQLite's memory (scripts/soak does).
// - With glibc, blocks of 1 MiB and more always get memory of their own from
//   the system and give it back when freed: by default the threshold rises
//   to 32 MiB after the first such block is freed, and a large run's freed
//   indexes then stay in the heap, at the cost of the peak and, in the
//   daemon, of the memory it holds between runs. MALLOC_MMAP_THRESHOLD_ in
//   the environment, when set, decides instead.
// - With glibc, at most malloc_arenas() heaps ("arenas"). glibc gives each
//   thread that allocates while another holds its heap a heap of its own,
//   up to 8 per core: the daemon's HTTP, run and delivery threads (20 and
//   more) each came to hold the freed pieces of pushes they had parsed, and
//   under a steady load (scripts/soak) its resident memory grew by a fifth
//   a minute with no end in sight; with two heaps it stayed flat at a third
//   of it. MALLOC_ARENA_MAX in the environment, when set, decides instead.
void tune_process();

// Gives the memory freed into glibc's heaps back to the system (malloc_trim);
// the daemon's pipelines call it after each run. A run frees what it parsed
// and indexed in pieces spread over the heaps, and glibc keeps them resident:
// under the soak's load (a 10,000-person push every moment), daemon A held
// 40 MB of free heap beside 11 MB in use, and what it held crept up by a
// fifth over the first quarter of an hour (57 -> 69 MB). Trimming after
// every run, A held 37 MB, flat over ten minutes (0.97x); trimming at most
// every 10 s, 57-69 MB. What the trims cost is in /metrics
// (peoplesync_heap_trim_seconds_total). When a trim is under way (another
// pipeline's), returns at once. Elsewhere than glibc: nothing.
void release_free_memory();

// The trims release_free_memory() made, and the seconds they took in all.
struct TrimCount {
    std::uint64_t trims = 0;
    double seconds = 0;
};
TrimCount trims_done();

// Whether SQLite counts its memory (PEOPLESYNC_SQLITE_STATS=1 at start):
// sqlite::heap_use() says 0 when it does not.
bool sqlite_memory_counted();

// The heaps tune_process() allows: the cores, from 2 to 4.
int malloc_arenas();

}  // namespace peoplesync::core
