// How the directory's connection is tuned for a run: page caches, SQLite's
// helper threads, the journal a large load goes through, and the hint that
// starts its pages on their way to disk.
#pragma once

#include <cstddef>
#include <string>

#include <sqlite3.h>

#include <peoplesync/plugin.hpp>

namespace peoplesync::directory {

// Page caches: 32 MiB between runs and while a run reads; 16 MiB while a
// large load appends, which writes each new page once and leaves the memory
// to the run, which holds the whole snapshot then; 1 MiB while it builds its
// indexes again (below); and up to 96 MiB while any other run
// writes: a run that changes users all over a large directory comes back to
// most of their pages (the user, their memberships, the index of those), and
// a page read again costs more than the memory, which the cache takes only
// as the run needs it and gives back after.
inline constexpr const char* usual_cache = "PRAGMA cache_size=-32768";
// After a run that wrote, the cache is emptied (sqlite3_db_release_memory):
// in a daemon the next run may be hours away, and a full cache holds
// memory that later runs' allocations have to go around. The next run reads
// its pages again from the system's file cache. In ten minutes of soak
// (scripts/soak --seconds 600 --push-every 0), with the state store doing
// the same, SQLite's memory in daemon A stayed under 1 MB where it grew to
// 39 MB, and A's resident memory ended at 76 MB where it ended at 111 MB.
inline constexpr const char* large_load_cache = "PRAGMA cache_size=-16384";
inline constexpr const char* writing_cache = "PRAGMA cache_size=-98304";

// A large load's index rebuilds sort their keys in runs as large as the page
// cache, each run on a thread of SQLite's own (two), merged after: runs of
// 1 MiB sort within the processor's caches and both cores sort. Measured at
// a million users: the rebuilds 0.57 -> 0.42 s (0.49 s with 1 MiB runs on
// one thread; 16 MiB runs on two threads were no faster than on one).
inline constexpr const char* index_build_cache = "PRAGMA cache_size=-1024";
inline constexpr const char* index_build_threads = "PRAGMA threads=2";
inline constexpr const char* no_helper_threads = "PRAGMA threads=0";

// directory_model::is_large_load, counting the directory's users.
bool is_large_load(sqlite3* db, const ChangeSet& changes);

// The journal mode the database is in after asking for MODE, without waiting
// for other connections: with any open, WAL stays. In a rollback journal
// every commit syncs fully (NORMAL there can leave a file corrupt after a
// power cut on some filesystems); in WAL, NORMAL is safe.
// Never throws: it also runs from a destructor.
std::string switch_journal(sqlite3* db, const char* mode, int busy_timeout_ms) noexcept;

// Starts the kernel writing a file's changed pages to disk, without waiting
// for the disk (Linux's sync_file_range, as RocksDB's bytes_per_sync does):
// a large load writes its 250 MB through a rollback journal straight into
// the database file, and without this all of it goes to disk inside the
// commit's fsync (0.13 s of it at a million users; 0.007 s with it, for 0.03
// to 0.05 s that the call itself waits while the kernel queues the users'
// pages; on a thread of its own, measured no better). Only a hint: the
// commit's fsync is what makes the load durable, so a file that does not
// open or a call that fails changes nothing, and elsewhere than Linux it
// does nothing.
class WriteBack {
public:
    explicit WriteBack(const char* file);
    ~WriteBack();
    WriteBack(const WriteBack&) = delete;
    WriteBack& operator=(const WriteBack&) = delete;

    void start();

private:
    int fd_ = -1;
};

}  // namespace peoplesync::directory
