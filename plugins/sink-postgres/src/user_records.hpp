// Users of the directory looked up by hris_id or email and edited by its
// own users, by the rules both directory sinks share (directory-model's
// user_edits.hpp), in PostgreSQL: for the sink's find_user() and
// edit_user(), and its browser.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <peoplesync/changeset.hpp>

#include "connection.hpp"
#include "department_paths.hpp"
#include "user_edits.hpp"

namespace peoplesync::postgres {

// The shared edit rules' reads, on one connection (in its transaction, if any).
class PgUsers final : public directory_model::UserReader {
public:
    PgUsers(Connection& connection, const std::string& schema);
    std::vector<std::int64_t> ids_with_hris_id(const std::string& hris_id) override;
    std::vector<std::int64_t> ids_with_email(const std::string& folded) override;
    std::vector<DestinationRecord> records(std::span<const std::int64_t> ids, bool with_paths) override;

private:
    std::vector<std::int64_t> ids(const std::string& sql, const std::string& bound);

    Connection& connection_;
    std::string schema_;
    std::string quoted_;
};

// Every department and its path ("Engineering > Mobile Team"), made as the
// diff makes them.
DepartmentPaths read_department_paths(Connection& connection, const std::string& schema);

// Inside the caller's transaction: locks user `id`'s row, checks every edit
// by the shared rules (a synced field throws SyncedFieldError naming the
// pipeline that syncs the user, `pipeline` if the row names none), then writes them, each with its audit row
// (run 0, 'edited'), and raises the directory's generation, so the state
// token changes. Not peoplesync.apply's marker: that is a run's, and the
// read-only triggers check an edit as they check anyone's. `who` names the
// user in messages; empty: their hris_id, else their email. False, nothing
// written: no user `id`.
bool edit_fields(Connection& connection, const std::string& schema, std::int64_t id, std::string who,
                 std::span<const std::pair<std::string, std::string>> edits, const std::string& pipeline);

}  // namespace peoplesync::postgres
