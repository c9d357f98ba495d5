// What a directory sink's database does for a run: the writes the shared
// apply plan (apply_plan.hpp) makes of a ChangeSet, each as one batch. The
// plan decides what changes (ids, departments, memberships, managers, audit
// rows, in which order); a store only says how its database writes it: the
// SQLite directory through its row feeds, PostgreSQL through COPY. Every
// call is inside the run's transaction, which the sink opens and ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/fields.hpp>
#include <peoplesync/model.hpp>

#include "department_paths.hpp"

namespace peoplesync::directory_model {

// One audit_log row; a 0 user_id is NULL (a department's row).
struct AuditRow {
    std::int64_t user_id = 0;
    std::string_view action;
    std::string_view field;
    std::string_view old_value;
    std::string_view new_value;
};

// Rows made on demand, so a million of them are never all in memory:
// row(k) for k in [0, count).
template <typename Row>
struct RowsOf {
    std::size_t count = 0;
    std::function<Row(std::size_t)> row;
};

// A user the run creates, with the id the plan gave them.
struct NewUser {
    std::int64_t id = 0;
    UserView user;
    std::int64_t manager_id = 0;  // 0: none
    std::uint64_t sync_hash = 0;
};

struct NewDepartment {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;  // 0: top level
    std::string_view name;
};

struct MembershipRow {
    std::int64_t user_id = 0;
    std::int64_t department_id = 0;
};

// An existing user's synced fields set from `user`: the text columns whose
// bit is set in `columns` (by their place in text_columns()), and always
// active and the sync state.
struct UserUpdate {
    std::int64_t id = 0;
    UserView user;
    std::uint64_t columns = 0;
    std::uint64_t sync_hash = 0;
};

// A user the pipeline stops syncing; deactivated when `deactivate`.
struct Unsync {
    std::int64_t id = 0;
    bool deactivate = false;
};

struct ManagerRow {
    std::int64_t user_id = 0;
    std::int64_t manager_id = 0;  // 0: none
};

// What every row a run writes shares.
struct RunStamp {
    std::int64_t run_id = 0;
    std::string_view pipeline;
    std::string_view at;                // now_text()
    std::int64_t synced_field_set = 0;  // field_sets' id of the run's synced fields
};

class DirectoryStore {
public:
    virtual ~DirectoryStore() = default;

    // The run's audit_runs row.
    virtual void record_run(const RunStamp& run) = 0;
    // The id of a list of synced fields ("email,first_name"), made on first use.
    virtual std::int64_t field_set(const std::string& fields) = 0;
    virtual DepartmentPaths department_paths() = 0;
    // The first of `count` new consecutive ids of users or departments that
    // nobody else takes while the run lasts.
    enum class Table { users, departments };
    virtual std::int64_t reserve_ids(Table table, std::size_t count) = 0;

    virtual void insert_departments(std::span<const NewDepartment> departments) = 0;
    virtual void adopt_departments(std::span<const std::int64_t> ids) = 0;
    virtual void insert_users(const RunStamp& run, const RowsOf<NewUser>& users) = 0;
    virtual void update_users(const RunStamp& run, std::span<const UserUpdate> updates) = 0;
    virtual void unsync_users(const RunStamp& run, std::span<const Unsync> users) = 0;
    // Created users' memberships: none of them is there yet, none twice.
    virtual void insert_memberships(std::span<const MembershipRow> memberships) = 0;
    // Existing users' memberships; those already there are left as they are.
    virtual void add_memberships(std::span<const MembershipRow> memberships) = 0;
    virtual void remove_memberships(std::span<const MembershipRow> memberships) = 0;
    virtual void set_managers(std::span<const ManagerRow> managers) = 0;
    virtual void insert_audit(const RunStamp& run, const RowsOf<AuditRow>& rows) = 0;
    // A "created" audit row for each of the users first_id .. first_id + count - 1.
    virtual void audit_created(const RunStamp& run, std::int64_t first_id, std::size_t count) = 0;
};

}  // namespace peoplesync::directory_model
