// What the receiver holds once everything queued is delivered, kept as the
// sink's outbox state: the users sent, in the guide's format, with the
// pipeline's sync hash of each, the departments created and the fields
// synced. Everything here is pure: no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <peoplesync/changeset.hpp>
#include <peoplesync/model.hpp>

namespace peoplesync::webhook_sink {

struct WebhookState {
    std::vector<std::string> synced_fields;
    std::vector<std::string> departments;  // every path created so far, parents first
    // The users, in the order sent; a Snapshot so that sdk's to_json() writes them.
    Snapshot snapshot;
    std::vector<std::uint64_t> sync_hashes;  // one per user
    // Of the sync hashes; a state saved without it holds the first family's.
    std::uint32_t sync_hash_family = peoplesync::sync_hash_family;
};

// The state saved in the outbox: bytes (a mark, the synced fields, the
// departments, then each user's record as the snapshot store keeps it, with
// their sync hash); "" is the empty state, and a JSON state of the first
// version still reads. Throws Error naming the place of the first problem
// when the text is not a state this sink wrote.
WebhookState parse_state(std::string_view text);
std::string dump_state(const WebhookState& state);

// The state as the pipeline sees a destination: users with ids 1..N in state
// order, all synced; the department tree of every path, all synced.
DestinationIndex index_of(const WebhookState& state);
// The users with these ids (unknown ids are left out).
std::vector<DestinationRecord> records_of(const WebhookState& state, std::span<const std::int64_t> ids);

// The state after `changes`, which the pipeline computed against
// index_of(current). Users the changes do not name stay as they were.
WebhookState next_state(const WebhookState& current, const Snapshot& snapshot, const ChangeSet& changes);

// One event per change, in the order the README documents; `next` is
// next_state(..., changes), where created users' records are read from.
std::vector<nlohmann::json> change_events(const WebhookState& next, const ChangeSet& changes);

// A user in the guide's format, with only the fields in `fields` besides
// the always-synced ones.
nlohmann::json user_json(const UserView& user, const std::vector<std::string>& fields);

}  // namespace peoplesync::webhook_sink
