// Change-only runs (optional): a live run parses only the records whose raw
// bytes changed since the last clean run, and hands the sinks just those.
// Both sides must opt in: the source by deriving from RecordScanner, every
// sink of the pipeline by deriving from ChangeOnlyApplier, each beside
// Source or Sink (as RunLedger). A pipeline where one of them does not reads
// everything on every run; a plugin that ignores change-only runs implements
// nothing here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <peoplesync/changeset.hpp>
#include <peoplesync/model.hpp>
#include <peoplesync/plugin.hpp>

namespace peoplesync {

// What RecordScanner::scan() finds: the input split into its records without
// parsing them, in the order read() returns them.
struct RecordScan {
    // Per record, a hash of its raw bytes and of whatever else decides how
    // they read (a CSV file's header): equal hashes promise equal records.
    std::vector<std::uint64_t> hashes;
    // Per record, the User::origin read() gives it.
    std::vector<std::string> origins;
    // The Source::input_digest() of the input split, when the source knows
    // it: the input may have changed since the run asked for the digest, and
    // the run stores this one. Empty: the run stores the digest it asked for.
    std::string digest;
};

// A capability of a source that can split its input into records far more
// cheaply than it parses them (a file). scan() splits what read() would read
// now and keeps it; read_records() then parses the records at `positions`
// (ascending indexes into that scan) from the same input, as read() would:
// users in the order asked, each finding's record an index into the
// returned users, snapshot-wide findings as read() makes them. The host
// parses only the records whose hash differs from the last run's, and every
// record when the run reads everything after all.
class RecordScanner {
public:
    virtual ~RecordScanner();
    // Empty: the source cannot scan this input now; the run reads it whole.
    virtual std::optional<RecordScan> scan(ReadContext& context) = 0;
    virtual Snapshot read_records(std::span<const std::int64_t> positions, ReadContext& context) = 0;
    // Every run that asked for Source::input_digest() or scanned ends with
    // this: what the source kept for them (a file's bytes) can go (a daemon
    // keeps the source between runs).
    virtual void end_scan() = 0;
};

// A capability of a sink whose apply() uses only the snapshot records its
// ChangeSet names (a directory), so a change-only run may hand it just the
// records that changed. A sink that needs the whole snapshot (one that
// sends it) does not have it.
class ChangeOnlyApplier {
public:
    virtual ~ChangeOnlyApplier();
    // The part of Sink::load_index() a change-only run needs: the users with
    // one of these hris_ids, every user who is not synced, every department,
    // the memberships outside the sync as load_index() gives them, and
    // synced_users set. Empty: the sink cannot read that more cheaply now,
    // and the run loads the whole index.
    virtual std::optional<DestinationIndex> load_index_for(std::span<const std::string> hris_ids) = 0;
};

}  // namespace peoplesync
