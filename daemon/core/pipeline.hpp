// One pipeline (docs/design.md §2): source -> normalize -> validate -> diff
// per sink -> guard -> apply, with test mode, simulation and approval around
// it. Each stage has a file of its own in daemon/core; run.cpp runs them.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <peoplesync/change_only.hpp>
#include <peoplesync/changeset.hpp>
#include <peoplesync/plugin.hpp>

#include "differ.hpp"
#include "guard.hpp"
#include "normalize.hpp"
#include "plugin_host.hpp"
#include "push_host.hpp"
#include "run_status.hpp"
#include "settings.hpp"
#include "state_store.hpp"
#include "validate.hpp"

namespace peoplesync::core {

enum class PipelineMode { test, live };
std::string_view to_string(PipelineMode mode);

class PluginServices;
// A run's boundaries, each in its own header: change-only runs
// (change_only/change_only.hpp) and what a run leaves the next (next_run.hpp).
struct ChangeOnlyBase;
struct LastRun;
struct UnreadRecords;
struct NextRun;

struct SinkOutcome {
    std::string name;
    SinkStatus status = SinkStatus::pending;
    ChangeSet changes;
    nlohmann::json detail;  // the ChangeSet entry by entry, capped; see changes_json()
    std::int64_t synced_before = 0;
    std::int64_t removals = 0;
    std::string guard;  // the guard's objection, if any
    std::string message;
};

struct RunReport {
    std::int64_t run_id = 0;
    std::string pipeline;
    PipelineMode mode = PipelineMode::test;
    RunStatus status = RunStatus::running;
    std::string message;
    std::int64_t users = 0;
    // Not 0: nothing was read, the input and the destinations being as this
    // run left them (Source::input_digest).
    std::int64_t unchanged_since_run = 0;
    // Not -1: a change-only run, which parsed only the records that changed
    // since run `changed_since_run` (RecordScanner::scan), this many.
    std::int64_t changed_records = -1;
    std::int64_t changed_since_run = 0;
    std::vector<Finding> findings;
    // Records left exactly as they are in the destinations because they are
    // invalid or conflict with one (on_invalid: skip).
    std::int64_t quarantined = 0;
    std::vector<SinkOutcome> sinks;
    double read_seconds = 0, store_seconds = 0, validate_seconds = 0, diff_seconds = 0, apply_seconds = 0;

    ChangeSummary changes() const;  // all sinks together
};

struct RunRequest {
    std::string trigger = "cli";
    bool dry_run = false;  // simulate even in live mode
    bool force = false;    // pass the deletion guard
    // Read, validate and diff even when the source's input and every
    // destination are unchanged since the last run (Source::input_digest).
    bool full = false;
    // A snapshot to use instead of reading the source (pushed or replayed).
    std::optional<Snapshot> snapshot;
    // With `snapshot`: it is normalized and validated already, under this
    // pipeline's policy, which keeps every field (a push its gateway
    // checked); this is what validation found, and the run does not repeat it.
    std::optional<Validation> validated;
};

// A run stopped by its ProgressListener (the daemon is shutting down) before
// it applied anything. Recorded as "interrupted".
class RunCancelled : public Error {
public:
    using Error::Error;
};

class ProgressListener : public ReadContext {
public:
    void progress(std::int64_t) override {}
    virtual void stage(const std::string&) {}
    // Asked before each stage: true stops the run with RunCancelled. A
    // listener may also throw RunCancelled from progress() to end a long read.
    virtual bool cancelled() { return false; }
};

// Records in the state database which pipelines' configurations, as just
// loaded, differ from the ones enabled (StateStore::note_configuration):
// from then on those are in test mode until enabled again, even if their
// configuration goes back to the enabled one.
void note_configurations(const Settings& settings, StateStore& state);

class Pipeline {
public:
    // `push` serves push sources (the daemon); without it they cannot receive.
    Pipeline(const Settings& settings, const PipelineSettings& pipeline, const PluginHost& plugins, StateStore& state,
             PushHost* push = nullptr);
    ~Pipeline();

    const PipelineSettings& settings() const { return settings_; }
    PipelineMode mode();
    void enable();
    void disable();

    // Reads the source (or uses request.snapshot) and runs every stage; in
    // test mode and for dry runs nothing is applied. Every run is recorded.
    // Call it holding the pipeline's run lock (RunLocks): it first settles
    // the runs a process that died left "running".
    RunReport run(RunRequest request, ProgressListener& progress);
    // Records what became of the pipeline's runs left "running" by a process
    // that died: "applied" where a sink committed the run (with what it can
    // say of it), else "interrupted". Call it holding the pipeline's run
    // lock, so that a run another process is doing is not taken for dead.
    void settle_unfinished_runs();
    // Opens each sink's destination on this machine (Sink::open()), as the
    // daemon starts or reloads: an Error names the pipeline and the sink.
    void open_sinks();
    // Diffs a logged run's snapshot against the destinations as they are now.
    // Writes nothing.
    RunReport simulate(std::int64_t run_id, ProgressListener& progress);
    // Applies a blocked run's snapshot past the guard, as a new run.
    RunReport approve(std::int64_t run_id, ProgressListener& progress);

    Sink& sink(const std::string& name);
    // The sinks whose apply() queues messages in the outbox (Sink::delivers()).
    struct DeliveringSink {
        std::string name;
        Sink* sink = nullptr;
        RetryPolicy retry;
    };
    std::vector<DeliveringSink> delivering_sinks();
    bool delivers(const std::string& sink_name);
    Source& source() { return *source_; }
    // Diffs a snapshot against the destinations as they are now, as a
    // simulation. Writes nothing.
    RunReport simulate_snapshot(Snapshot snapshot, ProgressListener& progress);
    // Why a run of this pipeline cannot be asked for (its source pushes),
    // and what works instead; empty when it can.
    std::string why_not_on_demand();

private:
    // "source csv", "sink directory": how a run's messages name a plugin.
    std::string source_label() const;
    std::string sink_label(const Sink* sink) const;
    // Each sink's DestinationIndex, read on threads of their own.
    std::vector<std::future<DestinationIndex>> load_indexes();
    // Applies only with a run_id (a recorded run). Without `indexes`, the
    // sinks' indexes are read here.
    // `normalized`: normalize() has run on the snapshot already.
    // With `unread`, a change-only run's: the snapshot holds what changed,
    // and anything but a clean apply (a finding, a guard's objection)
    // throws NotChangeOnly before anything is applied.
    // `checked` is called once validation and the diff are done.
    RunReport process(Snapshot& snapshot, const RunRequest& request, std::int64_t run_id, ProgressListener& progress,
                      std::vector<std::future<DestinationIndex>> indexes = {}, bool normalized = false,
                      const UnreadRecords* unread = nullptr, const std::function<void()>& checked = {});
    // The apply stage: each sink's ChangeSet; `whole_snapshot`: the run has
    // every record, not only those that changed.
    void apply_changes(RunReport& report, const Snapshot& snapshot, bool whole_snapshot);
    // Change-only runs (change_only/): whether this pipeline's plugins take
    // them (the source is a RecordScanner, every sink a ChangeOnlyApplier),
    // what such a run compares with, and the run.
    bool takes_change_only_runs() const;
    LastRun read_last_run();
    std::optional<ChangeOnlyBase> change_only_base(LastRun last_run);
    void look_up_while_scanning(ChangeOnlyBase& base);
    // A run that parses only the records whose raw hash differs from the
    // base's. Empty when it cannot be one (then nothing was applied, and
    // `indexes` are loading for the full read the run then makes from the
    // same scan). `attempted_snapshot`: the snapshot an attempt stored, for
    // the run to forget unless it is its own; `next`, filled when it went
    // through.
    std::optional<RunReport> change_only(const RecordScan& scan, ChangeOnlyBase& base, const RunRequest& request,
                                         RunRecord& record, const std::string& digest,
                                         std::vector<std::future<DestinationIndex>>& indexes,
                                         ProgressListener& progress, std::string& attempted_snapshot, NextRun& next);
    // What a run that went through leaves the next (next_run.cpp). `since`:
    // a change-only run's base; `rows_written`: the run's rows are stored.
    NextRun leave_for_next_run(const RunReport& report, const RunRecord& record, const std::string& digest,
                               const RunInputs* since, bool rows_written);
    // Every record, through the scan when there is one (which lets go of its origins).
    Snapshot read_whole(std::optional<RecordScan>& scan, ProgressListener& progress);
    // Records the run's end, with what it leaves the next; forgets a
    // snapshot a change-only attempt stored and the run did not keep.
    RunReport finish_run(RunRecord& record, const RunReport& report, const NextRun& next,
                         const std::string& attempted_snapshot);
    // Removes the snapshots of runs past runs.keep_snapshots and
    // keep_snapshots_days (StateStore::keep_snapshots).
    void keep_snapshots();
    // Throws when run `run_id` names a snapshot the state database no
    // longer keeps; `to`: what it was to be used for.
    void check_snapshot_kept(const RunRecord& run, std::string_view to);
    // Settles one run left "running" (settle_unfinished_runs).
    void settle(RunRecord& run);
    // The sinks' state tokens; empty when a sink cannot tell.
    std::vector<std::string> sink_tokens();
    // The last run's inputs (StateStore::run_inputs), if that run is
    // recorded as applied or noop.
    std::optional<RunInputs> done_run_inputs();
    // A live run that would change nothing: the source's input and every
    // destination are as the last full run left them. Fills the report.
    bool unchanged(const std::string& digest, RunRecord& record, RunReport& report);

    const Settings& global_;
    PipelineSettings settings_;
    StateStore& state_;
    std::unique_ptr<PluginServices> source_services_;
    std::vector<std::unique_ptr<PluginServices>> sink_services_;
    std::shared_ptr<Source> source_;
    std::vector<std::shared_ptr<Sink>> sinks_;
    // The plugins' change-only capabilities (change_only.hpp); null where
    // a plugin has none. Appliers in the sinks' order.
    RecordScanner* scanner_ = nullptr;
    std::vector<ChangeOnlyApplier*> appliers_;
};

}  // namespace peoplesync::core
