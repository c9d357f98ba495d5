// The pipeline object: its plugins, its mode, and the runs that stand on a
// stored snapshot (simulate, approve). A run itself is in run.cpp.
#include "pipeline.hpp"

#include "plugin_services.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

std::string_view to_string(PipelineMode mode) {
    return mode == PipelineMode::test ? "test" : "live";
}

namespace {

// Creates one of a pipeline's plugins. A type no plugin provides is a
// configuration error at the place the type is written; any other failure
// but a configuration error (which names its place) names the pipeline.
template <typename Make>
auto create_plugin(const PluginSettings& plugin, const std::string& who, Make make) {
    try {
        return make();
    } catch (const PluginNotFound& e) {
        throw ConfigError(plugin.type_where.empty() ? std::string(e.what()) : plugin.type_where + ": " + e.what());
    } catch (const ConfigError&) {
        throw;
    } catch (const Error& e) {
        throw Error(who + ": " + e.what());
    }
}

}  // namespace

Pipeline::Pipeline(const Settings& settings, const PipelineSettings& pipeline, const PluginHost& plugins,
                   StateStore& state, PushHost* push)
    : global_(settings), settings_(pipeline), state_(state) {
    source_services_ = std::make_unique<PluginServices>(settings, state, pipeline.name, "source", push);
    source_ = create_plugin(pipeline.source, "pipeline " + pipeline.name, [&] {
        return plugins.make_source(pipeline.source.type, pipeline.source.options, *source_services_);
    });
    if (source_->pushes() && !pipeline.schedule.empty())
        throw ConfigError(pipeline.schedule.where + ": source " + pipeline.source.type +
                          " receives its snapshots when they are pushed; it takes no schedule");
    scanner_ = dynamic_cast<RecordScanner*>(source_.get());
    for (const auto& sink : pipeline.sinks) {
        sink_services_.push_back(std::make_unique<PluginServices>(settings, state, pipeline.name, "sink." + sink.name));
        sink_services_.back()->set_outbox(state.outbox().for_sink(pipeline.name, sink.name));
        sinks_.push_back(create_plugin(sink, "pipeline " + pipeline.name + ", sink " + sink.name, [&] {
            return plugins.make_sink(sink.type, sink.options, *sink_services_.back());
        }));
        if (!sinks_.back()->delivers() && !sink.retry_where.empty())
            throw ConfigError(sink.retry_where + ": sink " + sink.name + " (" + sink.type +
                              ") writes its destination itself; retry applies only to sinks that deliver to a "
                              "remote receiver (webhook)");
        appliers_.push_back(dynamic_cast<ChangeOnlyApplier*>(sinks_.back().get()));
    }
}

bool Pipeline::delivers(const std::string& sink_name) {
    for (const auto& sink : delivering_sinks())
        if (sink.name == sink_name) return true;
    return false;
}

std::vector<Pipeline::DeliveringSink> Pipeline::delivering_sinks() {
    std::vector<DeliveringSink> out;
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        if (sinks_[i]->delivers()) out.push_back({settings_.sinks[i].name, sinks_[i].get(), settings_.sinks[i].retry});
    return out;
}

void Pipeline::open_sinks() {
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        try {
            sinks_[i]->open();
        } catch (const std::exception& e) {
            throw Error("pipeline " + settings_.name + ", sink " + settings_.sinks[i].name + ": " + e.what());
        }
    }
}

// Plugins go before the services they were given.
Pipeline::~Pipeline() {
    sinks_.clear();
    source_.reset();
}

PipelineMode Pipeline::mode() {
    return state_.live(settings_.name, settings_.fingerprint, global_.loaded_at_ms) ? PipelineMode::live
                                                                                    : PipelineMode::test;
}

void note_configurations(const Settings& settings, StateStore& state) {
    for (const auto& pipeline : settings.pipelines) state.note_configuration(pipeline.name, pipeline.fingerprint);
}

void Pipeline::enable() {
    state_.enable(settings_.name, settings_.fingerprint);
}
void Pipeline::disable() {
    state_.disable(settings_.name);
}

std::string Pipeline::source_label() const {
    return "source " + settings_.source.type;
}

std::string Pipeline::sink_label(const Sink* sink) const {
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        if (sinks_[i].get() == sink) return "sink " + settings_.sinks[i].name;
    return "a sink";
}

std::string Pipeline::why_not_on_demand() {
    if (!source_->pushes()) return {};
    return "pipeline " + settings_.name + " receives its snapshots from source " + settings_.source.type +
           "; it cannot be run on demand. A snapshot the deletion guard blocked is applied with: peoplesync approve "
           "RUN";
}

Sink& Pipeline::sink(const std::string& name) {
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        if (settings_.sinks[i].name == name) return *sinks_[i];
    throw Error("pipeline \"" + settings_.name + "\" has no sink named \"" + name + "\"");
}

RunReport Pipeline::simulate(std::int64_t run_id, ProgressListener& progress) {
    auto record = state_.run(run_id);
    if (!record || record->pipeline != settings_.name)
        throw Error("pipeline \"" + settings_.name + "\" has no run " + std::to_string(run_id));
    if (record->snapshot_key.empty())
        throw Error("run " + std::to_string(run_id) + " has no snapshot to simulate (" +
                    (parse_run_status(record->status) == RunStatus::running
                         ? std::string("it is still running and has not stored it yet")
                     : parse_run_status(record->status) == RunStatus::interrupted
                         ? std::string("it stopped before its snapshot was stored")
                         : std::string("its source could not be read, or its snapshot could not be stored")) +
                    ")");
    check_snapshot_kept(*record, "simulate");
    RunRequest request;
    request.dry_run = true;
    Snapshot snapshot = state_.load_snapshot(record->snapshot_key);
    RunReport report = process(snapshot, request, 0, progress);
    report.run_id = run_id;
    return report;
}

void Pipeline::check_snapshot_kept(const RunRecord& run, std::string_view to) {
    if (state_.holds_snapshot(run.snapshot_key)) return;
    const RunSettings& kept = global_.runs;
    std::string rule;
    if (kept.keep_snapshots != 0)
        rule = "those of each pipeline's newest " + std::to_string(kept.keep_snapshots) + " runs (runs.keep_snapshots)";
    if (kept.keep_snapshots_days != 0)
        rule += (rule.empty() ? "" : ", ") + std::string("none of a run started more than ") +
                std::to_string(kept.keep_snapshots_days) + " days ago (runs.keep_snapshots_days)";
    if (rule.empty()) rule = "every snapshot now, but this one was removed under an earlier runs.keep_snapshots";
    throw Error("run " + std::to_string(run.id) + "'s snapshot is no longer kept, so there is nothing to " +
                std::string(to) + "; the state database keeps " + rule);
}

RunReport Pipeline::simulate_snapshot(Snapshot snapshot, ProgressListener& progress) {
    RunRequest request;
    request.dry_run = true;
    return process(snapshot, request, 0, progress);
}

RunReport Pipeline::approve(std::int64_t run_id, ProgressListener& progress) {
    auto record = state_.run(run_id);
    if (!record || record->pipeline != settings_.name)
        throw Error("pipeline \"" + settings_.name + "\" has no run " + std::to_string(run_id));
    if (parse_run_status(record->status) != RunStatus::blocked)
        throw Error("run " + std::to_string(run_id) + " is " + record->status +
                    ", not blocked; only blocked runs are approved");
    if (record->approved_by_run != 0)
        throw Error("run " + std::to_string(run_id) + " was already approved by run " +
                    std::to_string(record->approved_by_run));
    if (mode() != PipelineMode::live)
        throw Error("pipeline \"" + settings_.name + "\" is in test mode; enable it before approving a run");
    check_snapshot_kept(*record, "approve");
    RunRequest request;
    request.trigger = "approval of run " + std::to_string(run_id);
    request.force = true;
    request.snapshot = state_.load_snapshot(record->snapshot_key);
    RunReport report = run(request, progress);
    if (report.status == RunStatus::applied || report.status == RunStatus::noop)
        state_.mark_approved(run_id, report.run_id);
    return report;
}

}  // namespace peoplesync::core
