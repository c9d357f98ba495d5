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
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include <peoplesync/directory.hpp>
#include <peoplesync/plugin.hpp>

namespace peoplesync::directory {

class SqliteDirectoryBrowser final : public DirectoryBrowser {
public:
    // The search indexes of a directory this small are built before the
    // first answer rather than beside it: they take a moment.
    static constexpr std::int64_t built_before_answering = 50000;
    static constexpr std::chrono::seconds build_wait{2};
    // A search looks a field's prefix up in its index while it matches no
    // more users than this; past it, it reads the users in order instead,
    // which finds a page of them sooner.
    static constexpr std::size_t search_index_limit = 10000;
    // Users read per step when a search reads them in order, and the time
    // after which it answers with what it found so far (and a next page).
    static constexpr std::int64_t scan_step = 20000;
    static constexpr std::chrono::milliseconds scan_budget{100};

    SqliteDirectoryBrowser(std::string file, std::int64_t busy_timeout_ms, std::string pipeline, Logger& log);
    // Stops an index build that is under way.
    ~SqliteDirectoryBrowser() override;
    SqliteDirectoryBrowser(const SqliteDirectoryBrowser&) = delete;
    SqliteDirectoryBrowser& operator=(const SqliteDirectoryBrowser&) = delete;

    UserPage users(const UserQuery& query) override;
    std::optional<DirectoryUserDetail> user(std::int64_t id) override;
    std::vector<DirectoryDepartment> departments() override;
    std::optional<UserPage> members(std::int64_t department_id, const std::string& after, std::size_t limit) override;
    std::optional<DirectoryUserDetail> edit_user(
        std::int64_t id, const std::vector<std::pair<std::string, std::string>>& fields) override;

private:
    class Connection {
    public:
        Connection(const std::string& file, int flags, std::int64_t busy_timeout_ms);
        ~Connection();
        Connection(Connection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
        Connection(const Connection&) = delete;
        Connection& operator=(const Connection&) = delete;
        Connection& operator=(Connection&&) = delete;
        sqlite3* get() const { return db_; }

    private:
        sqlite3* db_ = nullptr;
    };

    // A read-only connection; none while the directory has no file yet.
    std::optional<Connection> reader();
    Connection writer();
    // Whether every browse index is there. When one is not, a thread builds
    // them; with `wait`, a small directory's before this returns (unless the
    // build waits for a writer longer than build_wait).
    bool indexed(sqlite3* db, bool wait);
    void start_build();
    void build();

    UserPage search(sqlite3* db, const std::string& text, std::int64_t after, std::size_t limit);
    UserPage search_in_order(sqlite3* db, const std::string& from, const std::string& to, std::int64_t after,
                             std::size_t limit);
    std::optional<DirectoryUserDetail> detail(sqlite3* db, std::int64_t id);

    const std::string file_;
    const std::int64_t busy_timeout_ms_;
    const std::string pipeline_;
    Logger& log_;

    std::mutex schema_mutex_;
    bool schema_checked_ = false;

    std::mutex mutex_;
    std::condition_variable build_done_;
    std::thread builder_;
    bool building_ = false;
    sqlite3* building_db_ = nullptr;  // interrupted when the browser goes
    bool stopping_ = false;
    std::chrono::steady_clock::time_point next_build_;  // after a failed build
};

}  // namespace peoplesync::directory
