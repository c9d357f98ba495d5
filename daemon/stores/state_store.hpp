// The core's own database (docs/design.md §4): pipelines and their enabled
// fingerprints, every run with its snapshot, findings and ChangeSet, and the
// plugins' key-value state. No sink's data lives here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Data/Session.h>

#include <peoplesync/model.hpp>
#include <peoplesync/plugin.hpp>

#include "outbox.hpp"
#include "snapshot_store.hpp"

namespace peoplesync::core {

struct RunRecord {
    std::int64_t id = 0;
    std::string pipeline;
    std::string trigger;  // "cli", "schedule", "approve of run 12", ...
    std::string mode;     // "test" or "live"
    std::string status;   // running, applied, simulated, noop, rejected, blocked, failed, interrupted
    std::string started_at;
    std::string finished_at;
    std::string fingerprint;
    std::string snapshot_key;  // empty when the source could not be read
    std::int64_t users = 0;
    std::string result;  // the run's JSON report: changes, findings, per-sink results
    std::string message;
    std::int64_t approved_by_run = 0;  // for blocked runs: the run that applied it
    // Written before its apply: the users and each sink's change counts, so a
    // run whose process died after a sink committed can still say what it did.
    std::string plan;
};

// What a pipeline's last full live run read and left behind: with the same
// configuration, source input and destination states, a run would change
// nothing (Source::input_digest, Sink::state_token).
struct RunInputs {
    std::string fingerprint;
    std::string digest;
    std::vector<std::string> tokens;  // one per sink, after the run
    std::int64_t run_id = 0;
    std::string snapshot_key;
    std::int64_t users = 0;
    std::int64_t full_at = 0;  // seconds since the epoch
};

// What a pipeline's last clean run read, record by record, so the next run
// can parse only the records that changed (RecordScanner::scan): each record's raw
// hash, the hris_id and manager it had once normalized and a hash of its
// email (case-folded), in the order the source gave them.
class RunRows {
public:
    void reserve(std::size_t records, std::size_t text_bytes);
    void add(std::uint64_t hash, std::string_view hris_id, std::string_view manager, std::uint64_t email_hash);
    std::size_t size() const { return hashes_.size(); }
    std::uint64_t hash(std::size_t i) const { return hashes_[i]; }
    std::string_view hris_id(std::size_t i) const { return text(2 * i); }
    std::string_view manager(std::size_t i) const { return text(2 * i + 1); }
    std::uint64_t email_hash(std::size_t i) const { return email_hashes_[i]; }
    // The bytes of every hris_id and manager together.
    std::size_t text_bytes() const { return texts_.size(); }

    std::int64_t run_id = 0;

private:
    friend class StateStore;
    std::string_view text(std::size_t k) const {
        const std::uint32_t begin = k == 0 ? 0 : ends_[k - 1];
        return std::string_view(texts_).substr(begin, ends_[k] - begin);
    }
    std::vector<std::uint64_t> hashes_, email_hashes_;
    std::vector<std::uint32_t> ends_;  // two per record: where its hris_id and its manager end in texts_
    std::string texts_;
};

class StateStore {
public:
    explicit StateStore(const std::filesystem::path& file);
    ~StateStore();
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    const std::filesystem::path& file() const { return file_; }

    std::optional<std::string> enabled_fingerprint(const std::string& pipeline);
    void enable(const std::string& pipeline, const std::string& fingerprint);
    void disable(const std::string& pipeline);
    // A process loaded the pipeline's configuration `fingerprint`. When it is
    // not the enabled one, the first time this is seen is recorded: from
    // then on the enabling holds only for configurations loaded before, so
    // going back to the enabled configuration does not go live again
    // without enable().
    void note_configuration(const std::string& pipeline, const std::string& fingerprint);
    // Whether the pipeline with configuration `fingerprint`, loaded at
    // `loaded_at_ms` (ms since the epoch), is live: enabled with that
    // fingerprint, and loaded before any other configuration of it was seen.
    bool live(const std::string& pipeline, const std::string& fingerprint, std::int64_t loaded_at_ms);

    // Stores a snapshot once per content; returns its key. See SnapshotStore.
    std::string store_snapshot(const Snapshot& snapshot);
    // The same on a thread and connection of its own, so a large snapshot is
    // written while the run goes on.
    struct StoredSnapshot {
        std::string key;
        double seconds = 0;  // encoding it here plus storing it there
    };
    enum class Sharing {
        copy,  // the store copies the records first; the snapshot may change once this returns
        // The store reads the snapshot's users on its thread: the caller keeps
        // them unchanged and alive until the future is ready (or destroyed).
        // No copy, so half a gigabyte less for a million users.
        read_while_running,
    };
    // The thread starts storing once `start` is ready (when it is valid): a
    // run lets validation, which is on its critical path, go first. With a
    // `run_id`, the run's record names the snapshot (and its users) as soon
    // as it is stored, so it can be simulated even if the process dies.
    std::future<StoredSnapshot> store_snapshot_async(const Snapshot& snapshot, Sharing sharing = Sharing::copy,
                                                     std::shared_future<void> start = {}, std::int64_t run_id = 0);
    // The same for a snapshot `encode` makes on that thread (a change-only
    // run's, composed of a stored one and what changed); what it refers to
    // stays alive and unchanged until the future is ready.
    std::future<StoredSnapshot> store_encoded_async(std::function<EncodedSnapshot()> encode,
                                                    double encoding_seconds = 0, std::shared_future<void> start = {},
                                                    std::int64_t run_id = 0);
    Snapshot load_snapshot(const std::string& key);
    StoredList snapshot_list(const std::string& key);
    // Removes a stored snapshot's list unless a run names it (its records
    // stay: others may hold them).
    void forget_unused_snapshot(const std::string& key);
    bool holds_snapshot(const std::string& key);

    // How long a pipeline's runs' snapshots are kept (0: no limit).
    struct SnapshotRetention {
        std::int64_t keep_runs = 0;  // those of its newest this many runs that have one
        std::int64_t keep_days = 0;  // and of none started longer ago than this
    };
    // Removes the pipeline's snapshots past the retention, and the records
    // only they held. Kept whatever it says: the snapshot the pipeline's
    // next run builds on (run_inputs()), those of its runs still running,
    // and its newest blocked run's, which can still be approved. Call it
    // holding the pipeline's run lock: then none of its runs is storing a
    // snapshot that refers to what is removed.
    SnapshotStore::Removed keep_snapshots(const std::string& pipeline, const SnapshotRetention& retention);

    std::int64_t begin_run(RunRecord& run);                              // sets id and started_at
    void record_run_plan(std::int64_t run_id, const std::string& plan);  // RunRecord::plan
    // Sets finished_at. With `inputs`, records them as the pipeline's last
    // run's (see run_inputs()) in the same transaction: the next run relies
    // only on inputs of a run recorded as done.
    void finish_run(RunRecord& run, const RunInputs* inputs = nullptr);
    // Empties the connection's page caches (the state database's and the
    // records file's): between runs they would hold memory for the next,
    // which reads what it needs again from the system's file cache.
    void release_caches();
    // RunResult::findings: the result holds only its findings and
    // quarantined count, all a no-op carries on; the rest (a first load's
    // lists of changes, a megabyte at a million) is not read into memory.
    // RunResult::none: the result is empty.
    enum class RunResult { whole, findings, none };
    std::optional<RunRecord> run(std::int64_t id, RunResult part = RunResult::whole);
    // Newest first; an empty pipeline means all. `before`: only runs older
    // than that run id (the next page), 0 for none.
    std::vector<RunRecord> runs(const std::string& pipeline, std::int64_t limit, std::int64_t before = 0);
    void mark_approved(std::int64_t blocked_run, std::int64_t by_run);
    // The pipeline's runs still "running". Holding the pipeline's run lock,
    // these are runs whose process died: settle each with settle_run().
    std::vector<RunRecord> unfinished_runs(const std::string& pipeline);
    // Records what became of a run whose process died (its status, message,
    // users and result); sets finished_at.
    void settle_run(RunRecord& run);
    // The pipeline's runs left "running" become "interrupted", without a
    // word on what they applied (for a pipeline no longer configured, whose
    // sinks cannot be asked); call it holding the pipeline's run lock.
    void mark_interrupted_runs(const std::string& pipeline);

    // What sinks that deliver to a remote receiver queued (on a connection of
    // its own).
    OutboxStore& outbox() { return *outbox_; }

    std::optional<RunInputs> run_inputs(const std::string& pipeline);
    // The rows of the pipeline's run `run_id`, if that run left them. They
    // are a cache in files of their own beside the database (see
    // run_rows_folder): one lost or damaged costs the next run a full read.
    std::optional<RunRows> run_rows(const std::string& pipeline, std::int64_t run_id);
    // Makes the rows of a run and stores them (as its rows.run_id's), on a
    // thread of its own, while the run goes on.
    std::future<void> store_run_rows_async(const std::string& pipeline, std::function<RunRows()> make,
                                           std::shared_future<void> start = {});
    // Forgets the pipeline's rows but those of run `keep` (0: all of them).
    void keep_run_rows(const std::string& pipeline, std::int64_t keep);
    // Forgets the rows of one run.
    void forget_run_rows(const std::string& pipeline, std::int64_t run_id);

    // A KeyValueStore private to one namespace (a plugin instance).
    std::unique_ptr<KeyValueStore> key_value(const std::string& name);

    std::optional<std::string> get_value(const std::string& name, const std::string& key);
    void put_value(const std::string& name, const std::string& key, const std::string& value);
    void erase_value(const std::string& name, const std::string& key);

private:
    std::filesystem::path rows_file(const std::string& pipeline, std::int64_t run_id) const;
    void write_run_inputs(const std::string& pipeline, const RunInputs& inputs);  // holding mutex_

    std::filesystem::path file_;
    std::mutex mutex_;
    std::unique_ptr<Poco::Data::Session> session_;
    std::unique_ptr<SnapshotStore> snapshots_;
    std::unique_ptr<OutboxStore> outbox_;
};

std::string now_iso8601();

// The folder beside the state database that holds the runs' rows:
// state.db -> state.rows.
std::filesystem::path run_rows_folder(const std::filesystem::path& state_file);

}  // namespace peoplesync::core
