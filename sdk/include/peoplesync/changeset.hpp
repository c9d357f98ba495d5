// What a sink holds and what a run changes in it. The pipeline diffs a
// snapshot against a sink's DestinationIndex (compact, every user) and the
// DestinationRecords it fetches for the few users whose hash differs, and
// hands the resulting ChangeSet to the sink to apply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <peoplesync/model.hpp>

namespace peoplesync {

// The family of the sync hashes the pipeline computes (DestinationUser::
// sync_hash); raised whenever they change for the same values. A sink that
// stores sync hashes stores the family of the last ChangeSet it applied
// beside them and reports it in DestinationIndex::sync_hash_family.
inline constexpr std::uint32_t sync_hash_family = 2;

// Every user a destination holds, in the few columns matching needs.
struct DestinationUser {
    std::int64_t id = 0;
    std::string hris_id;  // empty for users the directory created itself
    std::string email;
    bool active = true;
    bool synced = false;
    // The pipeline's hash of the synced values last written (0 = none). Equal
    // hashes mean "nothing to compare", so no full record is fetched.
    std::uint64_t sync_hash = 0;
};

struct DestinationDepartment {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;  // 0 for a top-level department
    std::string name;
    bool synced = false;
};

struct Membership {
    std::int64_t user_id = 0;
    std::int64_t department_id = 0;
};

struct DestinationIndex {
    // Every user, or for an index of some users (ChangeOnlyApplier::load_index_for)
    // those asked for and every user who is not synced.
    std::vector<DestinationUser> users;
    // -1: count the synced among `users`; otherwise how many users are
    // synced in all (an index of some users).
    std::int64_t synced_users = -1;
    std::vector<DestinationDepartment> departments;
    // Memberships in which the user or the department is not synced
    // (typically few): the pipeline keeps synced departments to synced users.
    std::vector<Membership> memberships_outside_sync;
    // The family the users' sync hashes were stored under: of another than
    // peoplesync::sync_hash_family, no hash is taken as "nothing to compare"
    // (each synced user's record is fetched and compared, once). A sink that
    // keeps no family leaves the current one.
    std::uint32_t sync_hash_family = peoplesync::sync_hash_family;
};

// The full stored state of one user.
struct DestinationRecord {
    std::int64_t id = 0;
    User user;                                 // departments left empty; see department_ids
    std::vector<std::int64_t> department_ids;  // every membership
    std::vector<std::string> synced_fields;
};

struct FieldChange {
    std::string field;
    std::string old_value;
    std::string new_value;
};

// A user the run creates. Their values, departments and manager are those
// of their snapshot record; the manager as the pipeline resolved it (a
// manager who is nobody stays unset).
struct CreatedUser {
    std::int64_t snapshot_index = 0;
    std::uint64_t sync_hash = 0;
    std::int64_t manager_destination_id = 0;   // the manager, if already in the destination
    std::int64_t manager_snapshot_index = -1;  // the manager, if created in this run too
};

enum class LinkedBy : std::uint8_t { none, hris_id, email };

// An existing user the run touches. A user can be e.g. linked and updated
// at once.
struct UserChange {
    std::int64_t destination_id = 0;
    std::int64_t snapshot_index = -1;  // their snapshot record; -1 for users leaving the sync
    std::string hris_id;               // after the run
    std::string previous_hris_id;      // what the destination had (linked users may differ)
    std::string email;                 // after the run
    bool linked = false;
    LinkedBy linked_by = LinkedBy::none;
    bool reactivated = false;
    bool deactivated = false;
    bool unsynced = false;
    std::vector<FieldChange> fields;  // changed synced fields
    std::uint64_t sync_hash = 0;      // for users who stay synced

    bool updated() const { return !linked && !fields.empty(); }
};

// A membership of an existing user in a department named by path
// ("Engineering > Mobile Team").
struct MembershipChange {
    std::int64_t destination_id = 0;
    std::string hris_id;
    std::string department;
};

struct ManagerChange {
    std::int64_t destination_id = 0;
    std::string hris_id;
    std::string old_manager_hris_id;               // empty: none
    std::string new_manager_hris_id;               // empty: none
    std::int64_t new_manager_destination_id = 0;   // the new manager, if already in the destination
    std::int64_t new_manager_snapshot_index = -1;  // the new manager, if created in this run
};

struct ChangeSummary {
    std::int64_t created = 0;
    std::int64_t linked = 0;
    std::int64_t updated = 0;
    std::int64_t reactivated = 0;
    std::int64_t deactivated = 0;
    std::int64_t unsynced = 0;
    std::int64_t departments_created = 0;
    std::int64_t memberships_added = 0;
    std::int64_t memberships_removed = 0;
    std::int64_t managers_changed = 0;

    std::int64_t total() const;
    bool operator==(const ChangeSummary&) const = default;
};

struct ChangeSet {
    std::vector<CreatedUser> created;
    std::vector<UserChange> users;
    // The synced fields stored with every user the run leaves synced.
    std::vector<std::string> synced_fields;
    // Parents come before their children.
    std::vector<std::string> departments_created;
    // Existing departments a snapshot names: they become synced departments.
    std::vector<std::string> departments_adopted;
    // Of existing users; created users join their record's departments.
    std::vector<MembershipChange> memberships_added;
    std::vector<MembershipChange> memberships_removed;
    std::vector<ManagerChange> managers;
    // What creating users adds, for the summary.
    std::int64_t created_memberships = 0;
    std::int64_t created_managers = 0;

    ChangeSummary summary() const;
    // Nothing to write but the run record.
    bool empty() const;
};

}  // namespace peoplesync
