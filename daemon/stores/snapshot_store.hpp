// Where the state store keeps every run's snapshot, in space proportional to
// what changed: each user record (everything but where it came from) is
// stored once, with a 128-bit hash of its content, and every later snapshot
// that holds it unchanged points to it; a snapshot is the ordered list of its
// records' hashes and places, its records' origins, and its metadata and
// source findings. Records a snapshot adds are appended to the records file
// in blocks of about 128 KiB, in the snapshot's order. A resync with 1%
// churn stores 1% new records and two compact lists; an identical snapshot
// stores nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sqlite3.h>

#include <peoplesync/model.hpp>

#include "block_store.hpp"
#include "record_codec.hpp"
#include "record_hash.hpp"

namespace peoplesync::core {

// One user as bytes: record_codec.hpp; its hash: record_hash.hpp; where it
// is kept: block_store.hpp.

// A snapshot as the store keeps it. Either encoded on the caller's thread,
// so the snapshot itself can change (be normalized) while it is written, or
// a reference to users that stay as they are until it is stored, encoded one
// at a time as the store goes.
struct EncodedSnapshot {
    std::string pipeline;
    const Users* users = nullptr;   // when set, records and origins are read from there
    std::string records;            // every record's bytes, one after the other
    std::vector<std::size_t> ends;  // where each record's bytes end
    std::string origins;            // every record's origin, length-prefixed
    std::string meta;               // metadata and the source's findings, JSON
    // A change-only run's snapshot, the one it started from with what
    // changed: per record, its hash where it is a record of a stored
    // snapshot, or {0, 0} where it was read in this run. Those read are, in
    // order, the ones in `users` or `records`; `origins` holds every one's.
    std::vector<RecordHash> stored;
    std::vector<RecordPlace> stored_places;  // where those stored are
    // The stored list it was composed from, alive until it is stored: the
    // store looks its records up there instead of reading the pipeline's
    // last list again.
    const StoredList* base = nullptr;

    std::size_t size() const {
        return !stored.empty() ? stored.size() : users != nullptr ? users->size() : ends.size();
    }
    // The i-th record read (for a composed snapshot, the i-th of those read
    // in this run): in `records`, or encoded into `scratch`.
    std::string_view record(std::size_t i, std::string& scratch) const;
};
EncodedSnapshot encode_snapshot(const Snapshot& snapshot);
EncodedSnapshot refer_to_snapshot(const Snapshot& snapshot);
// A change-only run's snapshot: record i is record from[i] of the stored
// snapshot whose list is `base`, or (from[i] = -1) the next of `read`'s users,
// which stay as they are until it is stored; `origins` has every record's.
EncodedSnapshot compose_snapshot(const Snapshot& read, const StoredList& base, const std::vector<std::int64_t>& from,
                                 const std::vector<std::string>& origins);

// The file beside the state database that holds the records: state.db ->
// state.snapshots.db.
std::filesystem::path snapshot_records_file(const std::filesystem::path& state_file);

class SnapshotStore {
public:
    // Works on a connection to the state database (whose snapshot_lists the
    // state store's migrations make), with the records file attached as
    // "records" (attach_records_file()).
    SnapshotStore(sqlite3* db, const std::filesystem::path& records_file);

    // Stores the snapshot unless an identical one is stored; returns its key.
    std::string store(const EncodedSnapshot& snapshot);
    Snapshot load(const std::string& key);
    // A stored snapshot's list.
    StoredList list(const std::string& key);
    bool holds(const std::string& key);

    // Removes the snapshots with these keys (those not stored are passed
    // over), then the blocks that held their records and that no snapshot
    // left holds. The caller makes sure no snapshot being stored refers to
    // them (snapshot_retention.cpp). A process that stops in between leaves
    // blocks no list names: wasted space, never a wrong read.
    struct Removed {
        std::size_t snapshots = 0;
        std::size_t blocks = 0;
    };
    Removed remove(const std::vector<std::string>& keys);

private:
    // The blocks a stored list's records are in (recorded with the list, or
    // made from its places and recorded, for a list stored before that).
    std::vector<std::int64_t> blocks_of_list(const std::string& key);

    sqlite3* db_;
};

}  // namespace peoplesync::core
