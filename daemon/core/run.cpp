// A run (docs/design.md §2): source -> normalize -> validate -> diff per
// sink -> guard -> apply, and its record in the state database.
#include "pipeline.hpp"

#include <chrono>
#include <cstdlib>
#include <numeric>
#include <thread>

#include <Poco/Logger.h>

#include "change_only/change_only.hpp"
#include "report.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

void hold_after_commit_for_tests(const RunReport& report) {
    static const long long delay_ms = [] {
        const char* text = std::getenv("PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS");
        return text == nullptr ? 0LL : std::strtoll(text, nullptr, 10);
    }();
    if (delay_ms <= 0 || report.status != "applied") return;
    Poco::Logger::get("peoplesync." + report.pipeline)
        .warning("PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS: run " + std::to_string(report.run_id) +
                 " committed; it waits " + std::to_string(delay_ms) + " ms before it is recorded (for tests only)");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
}

std::vector<std::future<DestinationIndex>> Pipeline::load_indexes() {
    std::vector<std::future<DestinationIndex>> indexes;
    for (auto& sink : sinks_)
        indexes.push_back(std::async(std::launch::async, [this, s = sink.get()] {
            return calling(sink_label(s), [s] { return s->load_index(); });
        }));
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

    enter_stage(progress, "validate");
    auto started = std::chrono::steady_clock::now();
    if (!normalized) normalize(snapshot, policy);
    // The diff against every sink starts now, beside validation, as if every
    // record were valid: that is the diff when they are, as they nearly
    // always are, and it is made again with the invalid ones marked when not.
    // Both only read the users.
    std::vector<DestinationIndex> destinations(sinks_.size());
    auto diff_all = [&](const std::vector<char>& invalid) {
        std::vector<DiffResult> out;
        for (std::size_t i = 0; i < sinks_.size(); ++i) {
            Sink& sink = *sinks_[i];
            out.push_back(diff(
                snapshot, invalid, policy, destinations[i],
                [&sink](std::span<const std::int64_t> ids) { return sink.fetch(ids); }, unread));
        }
        return out;
    };
    std::future<std::vector<DiffResult>> diffed_as_valid = std::async(std::launch::async, [&] {
        for (std::size_t i = 0; i < sinks_.size(); ++i) destinations[i] = indexes[i].get();
        return diff_all(std::vector<char>(snapshot.users.size(), 0));
    });
    std::vector<char> invalid = validate(snapshot, policy);
    report.validate_seconds = seconds_since(started);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& f : snapshot.findings) add_unique(report.findings, seen, f);

    if (unread != nullptr && !report.findings.empty())
        throw NotChangeOnly("the records read have findings (" + report.findings.front().location + ": " +
                            report.findings.front().message + ")");
    std::int64_t invalid_count = std::count(invalid.begin(), invalid.end(), 1);
    bool unusable = std::any_of(snapshot.findings.begin(), snapshot.findings.end(),
                                [](const Finding& f) { return f.severity == Severity::error && f.record < 0; });
    if (unusable) {
        report.status = "rejected";
        report.message = "the snapshot cannot be used; nothing was applied";
        return report;
    }
    if (invalid_count > 0 && policy.on_invalid == InvalidPolicy::reject) {
        report.status = "rejected";
        report.message = std::to_string(invalid_count) + " invalid record" + (invalid_count == 1 ? "" : "s") +
                         "; nothing was applied (on_invalid: reject)";
        return report;
    }

    enter_stage(progress, "diff");
    started = std::chrono::steady_clock::now();
    std::vector<DiffResult> diffs = diffed_as_valid.get();
    if (invalid_count > 0) diffs = diff_all(invalid);
    if (checked) checked();
    bool refused = false;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkOutcome outcome;
        outcome.name = settings_.sinks[i].name;
        DiffResult& diffed = diffs[i];
        for (const auto& f : diffed.findings) add_unique(report.findings, seen, f);
        outcome.changes = std::move(diffed.changes);
        outcome.detail = changes_json(snapshot, outcome.changes, detail_limit);
        outcome.synced_before = diffed.synced_before;
        outcome.removals = diffed.removals;
        outcome.guard = DeletionGuard{policy.guard}.check(diffed.removals, diffed.synced_before);
        if (!diffed.refused.empty() && policy.on_invalid == InvalidPolicy::reject) {
            refused = true;
            outcome.status = "rejected";
            outcome.message = std::to_string(diffed.refused.size()) + " record(s) conflict with this destination";
        }
        report.sinks.push_back(std::move(outcome));
    }
    report.diff_seconds = seconds_since(started);
    if (policy.on_invalid == InvalidPolicy::skip) {
        std::vector<char> quarantined = invalid;  // and those a destination refused
        for (const DiffResult& diffed : diffs)
            for (const std::int64_t u : diffed.refused) quarantined[static_cast<std::size_t>(u)] = 1;
        report.quarantined = std::count(quarantined.begin(), quarantined.end(), 1);
    }
    if (unread != nullptr) {
        if (!report.findings.empty())
            throw NotChangeOnly("the diff has findings (" + report.findings.front().location + ": " +
                                report.findings.front().message + ")");
        if (std::any_of(report.sinks.begin(), report.sinks.end(),
                        [](const SinkOutcome& o) { return !o.guard.empty(); }))
            throw NotChangeOnly("the deletion guard objects");
        if (!apply) throw NotChangeOnly("the run applies nothing");
        for (std::size_t i = 0; i < sinks_.size(); ++i)
            if (!report.sinks[i].changes.departments_adopted.empty())
                throw NotChangeOnly("sink " + settings_.sinks[i].name +
                                    " has departments to adopt, whose members may be records not read");
        // A record not read whose manager this run renames would lose that
        // manager in a full run.
        for (const SinkOutcome& outcome : report.sinks)
            for (const UserChange& change : outcome.changes.users)
                if (change.linked && !change.previous_hris_id.empty() && change.previous_hris_id != change.hris_id &&
                    unread->cited_as_manager(change.previous_hris_id))
                    throw NotChangeOnly("\"" + change.previous_hris_id +
                                        "\", the manager of a record not read, becomes \"" + change.hris_id + "\"");
        for (std::size_t i = 0; i < sinks_.size(); ++i)
            if (diffs[i].synced_before != unread->synced_before)
                throw NotChangeOnly("sink " + settings_.sinks[i].name + " holds " +
                                    std::to_string(diffs[i].synced_before) + " synced users, the last run left " +
                                    std::to_string(unread->synced_before));
    }

    if (refused) {
        report.status = "rejected";
        report.message = "records conflict with a destination; nothing was applied (on_invalid: reject)";
        return report;
    }
    bool guarded =
        std::any_of(report.sinks.begin(), report.sinks.end(), [](const SinkOutcome& o) { return !o.guard.empty(); });
    if (!apply) {
        for (auto& outcome : report.sinks) {
            outcome.status = "simulated";
            if (!outcome.guard.empty())
                add_unique(report.findings, seen,
                           {Severity::warning, "sink " + outcome.name,
                            "a live run would be blocked by the deletion guard: " + outcome.guard, -1});
        }
        report.status = "simulated";
        return report;
    }
    if (guarded && !request.force) {
        for (auto& outcome : report.sinks) {
            outcome.status = outcome.guard.empty() ? "simulated" : "blocked";
            outcome.message = outcome.guard;
        }
        report.status = "blocked";
        // A pushed snapshot is not read again: only approving applies it.
        const std::string approve = "peoplesync approve " + std::to_string(report.run_id);
        report.message = "blocked by the deletion guard; nothing was applied. " +
                         (source_->pushes() ? "Approve the run to apply it: " + approve
                                            : "Approve the run (" + approve + ") or run with --force to apply it");
        return report;
    }

    enter_stage(progress, "apply");
    started = std::chrono::steady_clock::now();
    // What the run applies, recorded beside the apply: should its process die
    // once a sink committed, the run can still say what it did.
    std::future<void> planned = on_a_thread(
        [this, run_id = report.run_id,
         plan = plan_json(report, unread == nullptr).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)] {
            state_.record_run_plan(run_id, plan);
        });
    bool failed = false, applied = false;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkOutcome& outcome = report.sinks[i];
        if (outcome.changes.empty()) {
            outcome.status = "noop";
            continue;
        }
        try {
            sinks_[i]->apply(snapshot, outcome.changes, ApplyContext{report.run_id, settings_.name});
            outcome.status = "applied";
            applied = true;
        } catch (const std::exception& e) {
            outcome.status = "failed";
            outcome.message = e.what();
            failed = true;
        } catch (...) {
            // A plugin may throw anything; it still only fails the run.
            outcome.status = "failed";
            outcome.message = "the sink threw an exception that is not a std::exception";
            failed = true;
        }
    }
    report.apply_seconds = seconds_since(started);
    try {
        planned.get();
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync." + settings_.name)
            .warning("run " + std::to_string(report.run_id) +
                     ": its changes could not be recorded before its apply: " + e.what());
    }
    report.status = failed ? "failed" : applied ? "applied" : "noop";
    if (failed) {
        for (const auto& outcome : report.sinks)
            if (outcome.status == "failed")
                report.message +=
                    (report.message.empty() ? "" : "; ") + ("sink " + outcome.name + ": " + outcome.message);
    }
    return report;
}

RunReport Pipeline::run(const RunRequest& request, ProgressListener& progress) {
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
    ForNextRun next;
    auto finish = [&] {
        record.mode = std::string(to_string(report.mode));
        record.status = report.status;
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
        return report;
    };
    try {
        Snapshot snapshot;
        auto started = std::chrono::steady_clock::now();
        // What the source would read, by digest: the same input into
        // unchanged destinations changes nothing.
        const bool live = report.mode == PipelineMode::live && !request.dry_run;
        const bool may_compare =
            live && !request.snapshot && !request.full && !request.force && settings_.full_resync_every_secs > 0;
        // A change-only run compares with the last run's rows, read meanwhile.
        std::future<LastRun> last_run;
        if (may_compare && sinks_take_changes_only()) last_run = on_a_thread([this] { return read_last_run(); });
        const std::string digest =
            live && !request.snapshot ? calling(source_label(), [this] { return source_->input_digest(); }) : "";
        // However the run ends, the source hears that what it kept for the
        // digest and the scan (a file's bytes) can go.
        struct EndScan {
            Source* source;
            ~EndScan() {
                if (source == nullptr) return;
                try {
                    source->end_scan();
                } catch (...) {
                    // What it kept stays until its next scan.
                }
            }
        } digest_done{digest.empty() ? nullptr : source_.get()};
        if (!digest.empty() && may_compare && unchanged(digest, record, report)) {
            report.read_seconds = seconds_since(started);
            return finish();
        }
        // A change-only run reads only what it needs of the destinations.
        std::optional<ChangeOnlyBase> base;
        if (!digest.empty() && last_run.valid()) base = change_only_base(last_run.get());
        if (base) look_up_while_scanning(*base);
        // What each sink holds is read while the source is: they do not depend
        // on each other, and both take long for a large organisation.
        std::vector<std::future<DestinationIndex>> indexes;
        if (!base) indexes = load_indexes();
        std::optional<RecordScan> scan;
        if (request.snapshot) {
            snapshot = *request.snapshot;
        } else {
            enter_stage(progress, "read");
            // A live run reads through the source's scan when it can: with
            // the records' hashes the next run parses only what changed.
            if (live && sinks_take_changes_only())
                scan = calling(source_label(), [&] { return source_->scan(progress); });
            // However the read ends, the source hears that the scan is done.
            EndScan scan_done{scan ? source_.get() : nullptr};
            if (scan && base) {
                const double scan_seconds = seconds_since(started);
                if (auto done = change_only(*scan, *base, request, record, digest, indexes, progress,
                                            attempted_snapshot, next)) {
                    report = std::move(*done);
                    report.read_seconds += scan_seconds;
                    return finish();
                }
            }
            if (indexes.empty()) indexes = load_indexes();
            if (scan) {
                std::vector<std::int64_t> all(scan->hashes.size());
                std::iota(all.begin(), all.end(), 0);
                std::vector<std::string>().swap(scan->origins);  // the users will have them
                snapshot = calling(source_label(), [&] { return source_->read_records(all, progress); });
            } else {
                snapshot = calling(source_label(), [&] { return source_->read(progress); });
            }
        }
        double read_seconds = seconds_since(started);
        snapshot.pipeline = settings_.name;
        if (snapshot.received_at.empty()) snapshot.received_at = now_iso8601();
        record.users = static_cast<std::int64_t>(snapshot.users.size());
        // Written while the run goes on; the run is not recorded before it
        // is. When the policy keeps every field, normalizing drops nothing
        // a later run could want, so the normalized snapshot is the one
        // stored, read by the store as the run reads it (from here on the
        // run only reads users); otherwise the store takes a copy first.
        const bool shared = keeps_every_field(settings_.sync);
        if (shared) {
            started = std::chrono::steady_clock::now();
            normalize(snapshot, settings_.sync);
        }
        const double normalize_seconds = shared ? seconds_since(started) : 0;
        // Both stores below wait for validation and the diff: those are on
        // the run's critical path and use both cores (the diff its second
        // once validation is done), while the stores have until the apply
        // ends.
        std::promise<void> checked;
        const std::shared_future<void> after_checks = checked.get_future().share();
        std::future<StateStore::StoredSnapshot> stored = state_.store_snapshot_async(
            snapshot, shared ? StateStore::Sharing::read_while_running : StateStore::Sharing::copy, after_checks,
            record.id);
        // Each record's hash, hris_id and manager, for the next run to read
        // only what changed; stored while the run goes on, kept if it is clean.
        std::future<void> rows_stored;
        // However the run leaves this block, the stores start (before the
        // futures above wait for them).
        struct StartStores {
            std::promise<void>& checked;
            bool started = false;
            void operator()() {
                if (started) return;
                started = true;
                checked.set_value();
            }
            ~StartStores() { (*this)(); }
        } start_stores{checked};
        // Made on that thread too: the run only reads the users from here on.
        auto store_rows = [&] {
            if (scan && scan->hashes.size() == snapshot.users.size())
                rows_stored = state_.store_run_rows_async(
                    settings_.name,
                    [&snapshot, hashes = std::move(scan->hashes), id = record.id] {
                        return rows_of(snapshot.users, hashes, id);
                    },
                    after_checks);
            scan.reset();
        };
        if (shared) store_rows();
        report = process(snapshot, request, record.id, progress, std::move(indexes), shared, nullptr,
                         [&start_stores] { start_stores(); });
        start_stores();
        if (!shared) store_rows();  // normalized now
        report.read_seconds = read_seconds;
        report.validate_seconds += normalize_seconds;
        try {
            StateStore::StoredSnapshot done = stored.get();
            record.snapshot_key = done.key;
            report.store_seconds = done.seconds;
        } catch (const std::exception& e) {
            report.message +=
                (report.message.empty() ? "" : "; ") + std::string("the snapshot could not be stored: ") + e.what();
        }
        hold_after_commit_for_tests(report);
        // What this run read and left behind, for the next one to compare,
        // recorded with the run. Its rows are written (or not) before
        // anything is decided of them.
        const bool rows_written = rows_stored.valid() && finished(rows_stored);
        const std::string& name = settings_.name;
        const std::int64_t id = record.id;
        if (!digest.empty() && !record.snapshot_key.empty() &&
            (report.status == "applied" || report.status == "noop")) {
            RunInputs inputs;
            inputs.fingerprint = settings_.fingerprint;
            inputs.digest = digest;
            inputs.tokens = sink_tokens();
            inputs.run_id = record.id;
            inputs.snapshot_key = record.snapshot_key;
            inputs.users = record.users;
            inputs.full_at = epoch_ms() / 1000;
            if (all_known(inputs.tokens)) {
                next.inputs = std::move(inputs);
                // Records read cleanly (no finding at all) are what the next
                // run compares with.
                const std::int64_t keep = report.findings.empty() && rows_written ? id : 0;
                next.rows = [this, name, keep] { state_.keep_run_rows(name, keep); };
            }
        }
        if (!next.inputs && rows_written) next.rows = [this, name, id] { state_.forget_run_rows(name, id); };
    } catch (const RunCancelled& e) {
        report.status = "interrupted";
        report.message = e.what();
    } catch (const std::exception& e) {
        report.status = "failed";
        report.message = e.what();
    } catch (...) {
        report.status = "failed";
        report.message = "a plugin threw an exception that is not a std::exception";
    }
    return finish();
}

}  // namespace peoplesync::core
