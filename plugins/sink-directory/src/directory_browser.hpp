// The directory sink's DirectoryBrowser: its users, departments and edits
// for the admin API and the console. Every call opens a connection of its
// own (read-only but for edits) and closes it before it returns: calls from
// many threads never share one, a run applies meanwhile (readers see the
// last commit), and a large first load finds the file free to switch
// journals (see the sink's README).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include <peoplesync/directory.hpp>
#include <peoplesync/plugin.hpp>

#include "sqlite_connection.hpp"

#include "search_table.hpp"

namespace peoplesync::directory {

class SqliteDirectoryBrowser final : public DirectoryBrowser {
public:
    // The search table (search_table.hpp) of a directory this small is read
    // before the first search answers rather than beside it: it takes a
    // moment. A larger one's search reads the users in order meanwhile.
    static constexpr std::int64_t built_before_answering = 50000;
    static constexpr std::chrono::seconds build_wait{2};
    // Users read per step when a search reads them in order, and the time
    // after which it answers with what it found so far (and a next page).
    static constexpr std::int64_t scan_step = 20000;
    static constexpr std::chrono::milliseconds scan_budget{100};
    // A table older than this is read again, beside the searches it still
    // answers: changes made by SQL from elsewhere come in then.
    static constexpr std::chrono::minutes rebuild_after{10};

    SqliteDirectoryBrowser(std::string file, std::int64_t busy_timeout_ms, std::string pipeline, Logger& log);
    // Stops a table read that is under way.
    ~SqliteDirectoryBrowser() override;
    SqliteDirectoryBrowser(const SqliteDirectoryBrowser&) = delete;
    SqliteDirectoryBrowser& operator=(const SqliteDirectoryBrowser&) = delete;

    UserPage users(const UserQuery& query) override;
    std::optional<DirectoryUserDetail> user(std::int64_t id) override;
    std::vector<DirectoryDepartment> departments() override;
    std::optional<UserPage> members(std::int64_t department_id, const std::string& after, std::size_t limit) override;
    std::optional<DirectoryUserDetail> edit_user(
        std::int64_t id, const std::vector<std::pair<std::string, std::string>>& fields) override;

    // The sink wrote to the directory: a search table there is brought up to
    // date now, on a thread, rather than by the next search.
    void changed();

private:
    using Connection = sqlite::SideConnection;

    // A read-only connection; none while the directory has no file yet.
    std::optional<Connection> reader();
    Connection writer();
    // Runs `use` on the search table brought up to date, and says whether
    // it could. Without a table a thread reads one; with `wait`, a small
    // directory's before this returns (within build_wait).
    template <typename Use>
    bool with_table(sqlite3* db, bool wait, Use use);
    // With mutex_ held: brings the table up to date; false (and no table)
    // when it cannot be.
    bool refresh_table(sqlite3* db);
    // With mutex_ held: a thread brings the table up to date or reads a new one.
    void start_build();
    void build();

    UserPage search(sqlite3* db, const std::string& text, std::int64_t after, std::size_t limit);
    UserPage search_in_order(sqlite3* db, const std::string& folded, std::int64_t after, std::size_t limit);
    std::optional<DirectoryUserDetail> detail(sqlite3* db, std::int64_t id);

    const std::string file_;
    const std::int64_t busy_timeout_ms_;
    const std::string pipeline_;
    Logger& log_;

    std::mutex schema_mutex_;
    bool schema_checked_ = false;

    std::mutex mutex_;  // the table and its builder
    std::unique_ptr<SearchTable> table_;
    std::condition_variable build_done_;
    std::thread builder_;
    bool building_ = false;
    sqlite3* building_db_ = nullptr;  // interrupted when the browser goes
    bool stopping_ = false;
    std::chrono::steady_clock::time_point next_build_;  // after a failed build
};

}  // namespace peoplesync::directory
