// The differ (docs/design.md §2, diff): matches a snapshot's users to a destination's,
// resolves managers and departments against it, and produces the ChangeSet.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <peoplesync/changeset.hpp>
#include <peoplesync/model.hpp>

#include "settings.hpp"

namespace peoplesync::core {

using FetchRecords = std::function<std::vector<DestinationRecord>(std::span<const std::int64_t>)>;

struct DiffResult {
    ChangeSet changes;
    // Found against this destination: dangling managers (warnings), emails
    // that belong to another destination user (errors).
    std::vector<Finding> findings;
    // Users refused against this destination (their index); under
    // on_invalid: skip they are quarantined like invalid records.
    std::vector<std::int64_t> refused;
    std::int64_t synced_before = 0;  // synced users in the destination before the run
    std::int64_t removals = 0;       // users this run deactivates or unsyncs
    std::int64_t held_back = 0;      // removals withheld because an invalid record had no hris_id
};

// A change-only run's snapshot holds only the records that changed since the
// last run; the others are as that run left them in the destination.
struct UnreadRecords {
    // Whether a synced destination user is one of those records (by hris_id).
    std::function<bool(std::string_view hris_id)> kept;
    // The hris_ids of the last run's records that are gone from the source
    // (and not among the records read).
    std::vector<std::string> gone;
    // Whether one of those records names this hris_id as its manager.
    std::function<bool(std::string_view hris_id)> cited_as_manager;
    // The synced users the last run left in every destination: one per record.
    std::int64_t synced_before = 0;
};

// `invalid` marks the snapshot's quarantined records: they and the
// destination users they name are left exactly as they are. With `unread`,
// the snapshot is a change-only run's: users it does not name leave the sync
// only when they are gone, and an address a kept user holds is an error.
DiffResult diff(const Snapshot& snapshot, std::vector<char> invalid, const SyncPolicy& policy,
                const DestinationIndex& index, const FetchRecords& fetch, const UnreadRecords* unread = nullptr);

// The hash stored with a synced user: its synced values under a policy.
class SyncHasher {
public:
    explicit SyncHasher(const SyncPolicy& policy);
    std::uint64_t operator()(const UserView& user, std::string_view manager_hris_id) const;

private:
    std::vector<char> scalars_;  // which of the scalar fields are synced
    bool departments_, manager_;
    std::uint64_t seed_ = 0;  // the field selection
};

}  // namespace peoplesync::core
