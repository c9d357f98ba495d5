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
    std::vector<DestinationUser> users;
    std::vector<DestinationDepartment> departments;
    // Memberships in which the user or the department is not synced
    // (typically few): the pipeline keeps synced departments to synced users.
    std::vector<Membership> memberships_outside_sync;
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

// One user the run touches. A user can be e.g. linked and updated at once.
struct UserChange {
    std::int64_t destination_id = 0;   // 0 for a created user
    std::int64_t snapshot_index = -1;  // index into Snapshot::users; -1 for unsynced users
    std::string hris_id;               // the user's hris_id after the run
    std::string previous_hris_id;      // for linked users: what the destination had
    std::string email;                 // after the run
    bool created = false;
    bool linked = false;
    std::string linked_by;  // "hris_id" or "email"
    bool reactivated = false;
    bool deactivated = false;
    bool unsynced = false;
    std::vector<FieldChange> fields;  // for created/linked/updated users
    // What to store with the user: the synced fields and their hash.
    std::vector<std::string> synced_fields;
    std::uint64_t sync_hash = 0;

    bool updated() const { return !created && !linked && !fields.empty(); }
};

// A membership or department named by path ("Engineering > Mobile Team").
struct MembershipChange {
    std::int64_t destination_id = 0;  // 0: the user created in this run with hris_id
    std::string hris_id;
    std::string department;
};

struct ManagerChange {
    std::int64_t destination_id = 0;
    std::string hris_id;
    std::string old_manager_hris_id;  // empty: none
    std::string new_manager_hris_id;  // empty: none
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
    std::vector<UserChange> users;
    // Parents come before their children.
    std::vector<std::string> departments_created;
    // Existing departments a snapshot names: they become synced departments.
    std::vector<std::string> departments_adopted;
    std::vector<MembershipChange> memberships_added;
    std::vector<MembershipChange> memberships_removed;
    std::vector<ManagerChange> managers;

    ChangeSummary summary() const;
    // Nothing to write but the run record.
    bool empty() const;
};

}  // namespace peoplesync
