// The shared apply plan's writes (directory_store.hpp) in PostgreSQL: the
// rows of many users, memberships and audit rows through COPY, the others
// as one statement per batch over arrays or a temporary table, so a run
// costs a few round trips whatever it changes.
#pragma once

#include <string>

#include "connection.hpp"
#include "directory_store.hpp"

namespace peoplesync::postgres {

class PostgresStore final : public directory_model::DirectoryStore {
public:
    // Inside the apply's transaction (begin_apply).
    PostgresStore(Connection& connection, const std::string& schema);

    void record_run(const directory_model::RunStamp& run) override;
    std::int64_t field_set(const std::string& fields) override;
    DepartmentPaths department_paths() override;
    std::int64_t reserve_ids(Table table, std::size_t count) override;
    void insert_departments(std::span<const directory_model::NewDepartment> departments) override;
    void adopt_departments(std::span<const std::int64_t> ids) override;
    void insert_users(const directory_model::RunStamp& run,
                      const directory_model::RowsOf<directory_model::NewUser>& users) override;
    void update_users(const directory_model::RunStamp& run,
                      std::span<const directory_model::UserUpdate> updates) override;
    void unsync_users(const directory_model::RunStamp& run, std::span<const directory_model::Unsync> users) override;
    void insert_memberships(std::span<const directory_model::MembershipRow> memberships) override;
    void add_memberships(std::span<const directory_model::MembershipRow> memberships) override;
    void remove_memberships(std::span<const directory_model::MembershipRow> memberships) override;
    void set_managers(std::span<const directory_model::ManagerRow> managers) override;
    void insert_audit(const directory_model::RunStamp& run,
                      const directory_model::RowsOf<directory_model::AuditRow>& rows) override;
    void audit_created(const directory_model::RunStamp& run, std::int64_t first_id, std::size_t count) override;

private:
    Connection& connection_;
    const std::string s_;  // the quoted schema
};

}  // namespace peoplesync::postgres
