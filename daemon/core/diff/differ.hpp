// The differ (docs/design.md §2, diff): matches a snapshot's users to a destination's,
// resolves managers and departments against it, and produces the ChangeSet.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
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

// What the differ knows of the source's records a snapshot leaves out, when
// it holds only some of them: the others are in the destination as they
// were (a change-only run's, change_only/).
class RestOfSource {
public:
    virtual ~RestOfSource() = default;
    // Whether one of the records left out has this hris_id.
    virtual bool holds(std::string_view hris_id) const = 0;
    // The hris_ids of records the source had and no longer has: the only
    // users who may leave the sync.
    virtual std::span<const std::string> gone() const = 0;
};

// `invalid` marks the snapshot's quarantined records: they and the
// destination users they name are left exactly as they are. With `rest`, the
// snapshot holds only some of the source's records: users it does not name
// leave the sync only when they are gone, and an address a synced user the
// rest holds keeps is an error.
DiffResult diff(const Snapshot& snapshot, std::vector<char> invalid, const SyncPolicy& policy,
                const DestinationIndex& index, const FetchRecords& fetch, const RestOfSource* rest = nullptr);

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
