// The postgres sink's DirectoryBrowser: its users, departments and edits for
// the admin API and the console, read from the schema as the SQLite
// directory's browser reads its file, with the same answers. Calls come
// from many threads while a run applies on the sink's own connection: each
// call takes a connection of its own from a small pool (so that it does not
// pay a connection's authentication and TLS handshake), and reads in one
// snapshot what is committed. Searches read the users table (no search table, no index:
// see the README).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <peoplesync/directory.hpp>

#include "connection.hpp"

namespace peoplesync::postgres {

class PgDirectoryBrowser final : public DirectoryBrowser {
public:
    // Idle connections kept for the next calls; more are made when more
    // calls run at once, and closed after.
    static constexpr std::size_t pooled = 4;

    PgDirectoryBrowser(ConnectionSettings settings, std::string schema, std::string pipeline);

    UserPage users(const UserQuery& query) override;
    std::optional<DirectoryUserDetail> user(std::int64_t id) override;
    std::vector<DirectoryDepartment> departments() override;
    std::optional<UserPage> members(std::int64_t department_id, const std::string& after, std::size_t limit) override;
    std::optional<DirectoryUserDetail> edit_user(
        std::int64_t id, const std::vector<std::pair<std::string, std::string>>& fields) override;

private:
    // A pooled connection, back in the pool when done unless it broke or
    // was left in a transaction.
    class Lease {
    public:
        Lease(PgDirectoryBrowser& browser, std::unique_ptr<Connection> connection)
            : browser_(browser), connection_(std::move(connection)) {}
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Connection& operator*() const { return *connection_; }
        Connection* operator->() const { return connection_.get(); }

    private:
        PgDirectoryBrowser& browser_;
        std::unique_ptr<Connection> connection_;
    };

    Lease connection();
    std::optional<DirectoryUserDetail> detail(Connection& connection, std::int64_t id);
    UserPage page(Connection& connection, const std::string& sql, std::initializer_list<Parameter> parameters,
                  std::size_t limit);

    const ConnectionSettings settings_;
    const std::string schema_;
    const std::string pipeline_;

    std::mutex mutex_;  // idle_
    std::vector<std::unique_ptr<Connection>> idle_;
    std::mutex migrate_mutex_;
    bool migrated_ = false;
};

}  // namespace peoplesync::postgres
