#include "checkpointer.hpp"

#include <system_error>

#include <sqlite3.h>

namespace peoplesync::directory {

void Checkpointer::start(const std::string& file, Logger& log) {
    join();
    auto checkpoint = [file, &log] {
        sqlite3* db = nullptr;
        int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
        // Reading the schema opens the log: until then the connection knows no WAL.
        if (rc == SQLITE_OK) rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_schema LIMIT 1", nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            log.warning("directory " + file +
                        ": the checkpoint after the run failed (the next one copies its "
                        "pages): " +
                        (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close_v2(db);
    };
    try {
        thread_ = std::thread(checkpoint);
    } catch (const std::system_error&) {
        checkpoint();  // no thread to be had: here, then
    }
}

}  // namespace peoplesync::directory
