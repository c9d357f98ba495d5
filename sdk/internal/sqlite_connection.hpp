// A connection of its own beside a store's main session: a page read by the
// HTTP threads, a background checkpoint, a search table's build.
//
// Such a connection never tries to checkpoint and remove the log when it
// closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE). That try takes the database
// file's PENDING lock for a moment; any connection of the process that
// starts a read in that moment is told "database is locked" at once, whatever
// its busy timeout. The main session, open as long as the store, still does.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <sqlite3.h>

#include <peoplesync/error.hpp>

namespace peoplesync::sqlite {

class SideConnection {
public:
    // flags: SQLITE_OPEN_READONLY or SQLITE_OPEN_READWRITE (the file must
    // exist); store names it in an error ("directory").
    SideConnection(const char* store, const std::string& file, int flags, std::int64_t busy_timeout_ms) {
        const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
        if (rc != SQLITE_OK) {
            const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close_v2(db_);
            throw Error(std::string(store) + " " + file + ": cannot open the database: " + why);
        }
        sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
        sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_ms));
    }
    ~SideConnection() { sqlite3_close_v2(db_); }
    SideConnection(SideConnection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    SideConnection(const SideConnection&) = delete;
    SideConnection& operator=(const SideConnection&) = delete;
    SideConnection& operator=(SideConnection&&) = delete;

    sqlite3* get() const { return db_; }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace peoplesync::sqlite
