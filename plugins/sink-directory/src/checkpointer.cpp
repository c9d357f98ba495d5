#include "checkpointer.hpp"

#include <system_error>

#include <sqlite3.h>

#include "sqlite_connection.hpp"

namespace peoplesync::directory {

void Checkpointer::start(const std::string& file, Logger& log) {
    join();
    auto checkpoint = [file, &log] {
        try {
            const sqlite::SideConnection connection("directory", file, SQLITE_OPEN_READWRITE, 0);
            sqlite3* db = connection.get();
            // Reading the schema opens the log: until then the connection knows no WAL.
            int rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_schema LIMIT 1", nullptr, nullptr, nullptr);
            if (rc == SQLITE_OK)
                rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) throw Error(sqlite3_errmsg(db));
        } catch (const Error& e) {
            log.warning("directory " + file +
                        ": the checkpoint after the run failed (the next one copies its pages): " + e.what());
        }
    };
    try {
        thread_ = std::thread(checkpoint);
    } catch (const std::system_error&) {
        checkpoint();  // no thread to be had: here, then
    }
}

}  // namespace peoplesync::directory
