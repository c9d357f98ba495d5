#include "tuning.hpp"

#ifdef __linux__
#include <fcntl.h>
#include <unistd.h>
#endif

#include "apply_plan.hpp"
#include "sqlite_statement.hpp"

namespace peoplesync::directory {

using sqlite::execute;
using sqlite::SqliteStatement;

bool is_large_load(sqlite3* db, const ChangeSet& changes) {
    return directory_model::is_large_load(changes, [&] {
        SqliteStatement count(db, "SELECT COUNT(*) FROM users");
        count.next();
        return count.integer(0);
    });
}

std::string switch_journal(sqlite3* db, const char* mode, int busy_timeout_ms) noexcept {
    auto journal_mode = [db](const std::string& pragma) {
        SqliteStatement statement(db, pragma);
        std::string mode_now = statement.next() ? std::string(statement.text(0)) : "";
        statement.next();
        return mode_now;
    };
    std::string now;
    sqlite3_busy_timeout(db, 0);
    try {
        now = journal_mode(std::string("PRAGMA journal_mode=") + mode);
    } catch (const Error&) {
        // busy: another connection has the file open, and the mode stays
        try {
            now = journal_mode("PRAGMA journal_mode");
        } catch (const Error&) {
        }
    }
    sqlite3_busy_timeout(db, busy_timeout_ms);
    try {
        execute(db, now == "wal" ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
    } catch (const Error&) {
        // the connection keeps the level it had
    }
    return now;
}

WriteBack::WriteBack([[maybe_unused]] const char* file) {
#ifdef __linux__
    if (file != nullptr && *file != '\0') fd_ = ::open(file, O_RDONLY | O_CLOEXEC);
#endif
}

WriteBack::~WriteBack() {
#ifdef __linux__
    if (fd_ >= 0) ::close(fd_);
#endif
}

void WriteBack::start() {
#ifdef __linux__
    if (fd_ >= 0) ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
}

}  // namespace peoplesync::directory
