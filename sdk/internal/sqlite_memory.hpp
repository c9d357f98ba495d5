// SQLite's heap in this process: the page caches, schemas and prepared
// statements of every connection, the daemon's and the plugins' alike (they
// share one libsqlite3). A cache fills up to its `cache_size` as a database
// grows, so this is the part of the resident memory that is meant to grow
// for a while and then hold; /metrics shows it apart from the rest.
#pragma once

#include <cstdint>

#include <sqlite3.h>

namespace peoplesync::sqlite {

struct HeapUse {
    std::int64_t now = 0;   // bytes held now
    std::int64_t most = 0;  // the most held since the process started
};

inline HeapUse heap_use() {
    sqlite3_int64 now = 0, most = 0;
    if (sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &now, &most, 0) != SQLITE_OK) return {};
    return {now, most};
}

}  // namespace peoplesync::sqlite
