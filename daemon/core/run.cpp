// A run (docs/design.md §2): source -> normalize -> validate -> diff per
// sink -> guard -> apply, and its record in the state database.
#include "error_text.hpp"
#include "pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <numeric>
#include <thread>

#include <Poco/Logger.h>

#include "change_only/change_only.hpp"
#include "diff_stage.hpp"
#include "next_run.hpp"
#include "report.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

void hold_after_commit_for_tests(const RunReport& report) {
    static const long long delay_ms = [] {
        const char* text = std::getenv("PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS");
        return text == nullptr ? 0LL : std::strtoll(text, nullptr, 10);
    }();
    if (delay_ms <= 0 || report.status != RunStatus::applied) return;
    Poco::Logger::get("peoplesync." + report.pipeline)
        .warning("PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS: run " + std::to_string(report.run_id) +
                 " committed; it waits " + std::to_string(delay_ms) + " ms before it is recorded (for tests only)");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
}

std::vector<std::future<DestinationIndex>> Pipeline::load_indexes() {
    std::vector<std::future<DestinationIndex>> indexes;
    for (auto& sink : sinks_)
        indexes.push_back(threads::on_a_thread(
            [this, s = sink.get()] { return calling(sink_label(s), [s] { return s->load_index(); }); }));
    return indexes;
}

RunReport Pipeline::process(Snapshot& snapshot, const RunRequest& request, std::int64_t run_id,
                            ProgressListener& progress, std::vector<std::future<DestinationIndex>> indexes,
                            bool normalized, const UnreadRecords* unread, const std::function<void()>& checked) {
    if (indexes.empty()) indexes = load_indexes();
    RunReport report;
    report.run_id = run_id;
    report.pipeline = settings_.name;
    report.mode = mode();
    report.users = static_cast<std::int64_t>(snapshot.users.size());
    const SyncPolicy& policy = settings_.sync;
    const bool apply = run_id != 0 && report.mode == PipelineMode::live && !request.dry_run;
    UniqueFindings findings(report.findings);

    enter_stage(progress, "validate");
    auto started = std::chrono::steady_clock::now();
    if (!normalized) normalize(snapshot, policy);
    std::vector<Sink*> sinks;
    for (auto& sink : sinks_) sinks.push_back(sink.get());
    DiffStage diffing(snapshot, policy, std::move(sinks), std::move(indexes), unread);
    const Validation validation =
        normalized && request.validated ? *request.validated : validate_snapshot(snapshot, policy);
    report.validate_seconds = seconds_since(started);
    for (const auto& f : snapshot.findings) findings.add(f);
    if (unread != nullptr) expect_clean_records(report);
    if (!validation.rejection.empty()) {
        report.status = RunStatus::rejected;
        report.message = validation.rejection;
        return report;
    }

    enter_stage(progress, "diff");
    started = std::chrono::steady_clock::now();
    std::vector<DiffResult> diffs = diffing.results(validation.invalid);
    if (checked) checked();
    std::vector<std::string> names;
    for (const auto& sink : settings_.sinks) names.push_back(sink.name);
    report.sinks = sink_outcomes(diffs, snapshot, names, policy, findings);
    DeletionGuard{policy.guard}.weigh(report);
    report.diff_seconds = seconds_since(started);
    if (policy.on_invalid == InvalidPolicy::skip) report.quarantined = quarantined(validation.invalid, diffs);
    if (unread != nullptr) expect_same_as_full_run(report, *unread, apply);
    if (std::any_of(report.sinks.begin(), report.sinks.end(),
                    [](const SinkOutcome& o) { return o.status == SinkStatus::rejected; })) {
        report.status = RunStatus::rejected;
        report.message = "records conflict with a destination; nothing was applied (on_invalid: reject)";
        return report;
    }

    if (!passes_guard(report, findings, apply, request.force, source_->pushes())) return report;

    enter_stage(progress, "apply");
    apply_changes(report, snapshot, unread == nullptr);
    return report;
}

namespace {

// However a run ends, a source that scans hears that what it kept for the
// digest and the scan (a file's bytes) can go.
struct EndScan {
    RecordScanner* scanner;
    ~EndScan() {
        if (scanner == nullptr) return;
        try {
            scanner->end_scan();
        } catch (...) {
            // What it kept stays until its next scan.
        }
    }
};

// The run's snapshot and its records' rows, stored on the state store's
// threads while the run goes on. Both wait for start(): validation and the
// diff are on the run's critical path and use both cores (the diff its
// second once validation is done), while the stores have until the apply
// ends. However the run leaves, they start before their futures wait.
class StoresMeanwhile {
public:
    // With `shared`, the store reads the snapshot as the run does (it only
    // reads the users from here on); otherwise it takes a copy first.
    StoresMeanwhile(StateStore& state, const std::string& pipeline, std::int64_t run_id, const Snapshot& snapshot,
                    bool shared)
        : state_(state), pipeline_(pipeline), run_id_(run_id), snapshot_(snapshot) {
        stored_ = state_.store_snapshot_async(
            snapshot, shared ? StateStore::Sharing::read_while_running : StateStore::Sharing::copy, after_checks_,
            run_id);
    }
    StoresMeanwhile(const StoresMeanwhile&) = delete;
    StoresMeanwhile& operator=(const StoresMeanwhile&) = delete;
    ~StoresMeanwhile() { start(); }

    void start() {
        if (started_) return;
        started_ = true;
        checked_.set_value();
    }
    // Each record's hash, hris_id and manager, for the next run to read only
    // what changed (kept if the run is clean): made on the store's thread
    // from the normalized users. The scan goes.
    void store_rows(std::optional<RecordScan>& scan) {
        if (scan && scan->hashes.size() == snapshot_.users.size())
            rows_stored_ = state_.store_run_rows_async(
                pipeline_,
                [&users = snapshot_.users, hashes = std::move(scan->hashes), id = run_id_] {
                    return rows_of(users, hashes, id);
                },
                after_checks_);
        scan.reset();
    }
    std::future<StateStore::StoredSnapshot>& snapshot_stored() { return stored_; }
    // Waits for the rows; whether they are written.
    bool rows_written() { return rows_stored_.valid() && finished(rows_stored_); }

private:
    StateStore& state_;
    const std::string& pipeline_;
    std::int64_t run_id_;
    const Snapshot& snapshot_;
    std::promise<void> checked_;
    const std::shared_future<void> after_checks_ = checked_.get_future().share();
    bool started_ = false;
    std::future<StateStore::StoredSnapshot> stored_;
    std::future<void> rows_stored_;
};

}  // namespace

void take_stored_snapshot(std::future<StateStore::StoredSnapshot>& stored, RunRecord& record, RunReport& report) {
    try {
        const StateStore::StoredSnapshot done = stored.get();
        record.snapshot_key = done.key;
        report.store_seconds = done.seconds;
    } catch (const std::exception& e) {
        report.message +=
            (report.message.empty() ? "" : "; ") + std::string("the snapshot could not be stored: ") + error_text(e);
    }
}

RunReport Pipeline::finish_run(RunRecord& record, const RunReport& report, const NextRun& next,
                               const std::string& attempted_snapshot) {
    record.mode = std::string(to_string(report.mode));
    record.status = std::string(to_string(report.status));
    record.message = report.message;
    record.result = report_json(report, true).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    state_.finish_run(record, next.inputs ? &*next.inputs : nullptr);
    if (next.rows) next.rows();
    if (!attempted_snapshot.empty() && attempted_snapshot != record.snapshot_key) {
        try {
            state_.forget_unused_snapshot(attempted_snapshot);
        } catch (const std::exception&) {
            // A list no run names stays: harmless.
        }
    }
    keep_snapshots();
    state_.release_caches();
    return report;
}

void Pipeline::keep_snapshots() {
    try {
        const auto removed =
            state_.keep_snapshots(settings_.name, {global_.runs.keep_snapshots, global_.runs.keep_snapshots_days});
        if (removed.snapshots > 0)
            Poco::Logger::get("peoplesync." + settings_.name)
                .debug("removed the snapshots of " + std::to_string(removed.snapshots) +
                       " runs past runs.keep_snapshots or keep_snapshots_days, and " + std::to_string(removed.blocks) +
                       " blocks of records only they held");
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync." + settings_.name)
            .warning(std::string("the snapshots of runs past runs.keep_snapshots or keep_snapshots_days were not "
                                 "removed: ") +
                     e.what());
    }
}

RunReport Pipeline::run(RunRequest request, ProgressListener& progress) {
    try {
        settle_unfinished_runs();
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync." + settings_.name)
            .warning(std::string("runs left running by a process that stopped are not settled: ") + e.what());
    }
    RunRecord record;
    record.pipeline = settings_.name;
    record.trigger = request.trigger;
    record.mode = std::string(to_string(mode()));
    record.fingerprint = settings_.fingerprint;
    state_.begin_run(record);

    RunReport report;
    report.pipeline = settings_.name;
    report.mode = mode();
    report.run_id = record.id;
    std::string attempted_snapshot;  // stored by a change-only attempt
    NextRun next;
    try {
        // The source: unchanged since the last run, read change-only, or read.
        auto started = std::chrono::steady_clock::now();
        const bool live = report.mode == PipelineMode::live && !request.dry_run;
        const bool may_compare =
            live && !request.snapshot && !request.full && !request.force && settings_.full_resync_every_secs > 0;
        const bool change_only_capable = live && takes_change_only_runs();
        // What the source would read, by digest: the same input into
        // unchanged destinations changes nothing.
        std::string digest =
            live && !request.snapshot ? calling(source_label(), [this] { return source_->input_digest(); }) : "";
        EndScan digest_done{digest.empty() ? nullptr : scanner_};
        if (!digest.empty() && may_compare && unchanged(digest, record, report)) {
            report.read_seconds = seconds_since(started);
            return finish_run(record, report, next, attempted_snapshot);
        }
        // A change-only run reads only what it needs of the destinations. It
        // compares with the last run's rows, read only now: an unchanged
        // input (above) needs none, and the digest is too quick to read
        // them beside (a 182 MB export in 0.05 s).
        std::optional<ChangeOnlyBase> base;
        if (!digest.empty() && may_compare && change_only_capable) base = change_only_base(read_last_run());
        if (base) look_up_while_scanning(*base);
        // What each sink holds is read while the source is: they do not depend
        // on each other, and both take long for a large organisation.
        std::vector<std::future<DestinationIndex>> indexes;
        if (!base) indexes = load_indexes();
        Snapshot snapshot;
        std::optional<RecordScan> scan;
        if (request.snapshot) {
            snapshot = std::move(*request.snapshot);
        } else {
            enter_stage(progress, "read");
            // A live run reads through the source's scan when it can: with
            // the records' hashes the next run parses only what changed.
            if (change_only_capable) scan = calling(source_label(), [&] { return scanner_->scan(progress); });
            EndScan scan_done{scan ? scanner_ : nullptr};
            // What the run stores is the digest of what it read.
            if (scan && !scan->digest.empty() && !digest.empty()) digest = scan->digest;
            if (scan && base) {
                const double scan_seconds = seconds_since(started);
                if (auto done = change_only(*scan, *base, request, record, digest, indexes, progress,
                                            attempted_snapshot, next)) {
                    report = std::move(*done);
                    report.read_seconds += scan_seconds;
                    return finish_run(record, report, next, attempted_snapshot);
                }
            }
            if (indexes.empty()) indexes = load_indexes();
            snapshot = read_whole(scan, progress);
        }
        const double read_seconds = seconds_since(started);
        snapshot.pipeline = settings_.name;
        if (snapshot.received_at.empty()) snapshot.received_at = now_iso8601();
        record.users = static_cast<std::int64_t>(snapshot.users.size());

        // normalize -> validate -> diff -> guard -> apply (process), the
        // snapshot and the records' rows stored meanwhile. When the policy
        // keeps every field, normalizing drops nothing a later run could
        // want, so the normalized snapshot is the one stored; otherwise the
        // store takes a copy first.
        const bool shared = keeps_every_field(settings_.sync);
        if (!shared) request.validated.reset();  // the store needs the snapshot as received
        const bool normalizes = shared && !request.validated;
        if (normalizes) {
            started = std::chrono::steady_clock::now();
            normalize(snapshot, settings_.sync);
        }
        const double normalize_seconds = normalizes ? seconds_since(started) : 0;
        StoresMeanwhile stores(state_, settings_.name, record.id, snapshot, shared);
        if (shared) stores.store_rows(scan);
        report = process(snapshot, request, record.id, progress, std::move(indexes), shared, nullptr,
                         [&stores] { stores.start(); });
        stores.start();
        if (!shared) stores.store_rows(scan);  // normalized now
        report.read_seconds = read_seconds;
        report.validate_seconds += normalize_seconds;
        take_stored_snapshot(stores.snapshot_stored(), record, report);
        hold_after_commit_for_tests(report);

        // Written (or not) before anything is decided of them.
        const bool rows_written = stores.rows_written();
        next = leave_for_next_run(report, record, digest, nullptr, rows_written);
    } catch (const RunCancelled& e) {
        report.status = RunStatus::interrupted;
        report.message = e.what();
    } catch (const std::exception& e) {
        report.status = RunStatus::failed;
        report.message = error_text(e);
    } catch (...) {
        report.status = RunStatus::failed;
        report.message = "a plugin threw an exception that is not a std::exception";
    }
    return finish_run(record, report, next, attempted_snapshot);
}

Snapshot Pipeline::read_whole(std::optional<RecordScan>& scan, ProgressListener& progress) {
    if (!scan) return calling(source_label(), [&] { return source_->read(progress); });
    std::vector<std::int64_t> all(scan->hashes.size());
    std::iota(all.begin(), all.end(), 0);
    std::vector<std::string>().swap(scan->origins);  // the users will have them
    return calling(source_label(), [&] { return scanner_->read_records(all, progress); });
}

}  // namespace peoplesync::core
