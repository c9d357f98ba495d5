#include "pipeline_worker.hpp"
#include "error_text.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>

#include "process_tuning.hpp"
#include "report.hpp"

namespace peoplesync::server {

using nlohmann::json;
using Clock = std::chrono::system_clock;

// Cancels the run in progress when the daemon shuts down: the pipeline asks
// before each stage, and a long read is stopped at its next progress call.
class PipelineWorker::Progress final : public core::ProgressListener {
public:
    explicit Progress(const std::atomic<bool>& cancel) : cancel_(cancel) {}
    bool cancelled() override { return cancel_.load(); }
    void progress(std::int64_t) override {
        if (cancel_.load()) throw core::RunCancelled("the daemon is stopping; the source was not read to its end");
    }

private:
    const std::atomic<bool>& cancel_;
};

namespace {

constexpr auto poll_interval = std::chrono::seconds(2);
// Snapshots kept in memory for their run; more wait in the log only.
constexpr std::size_t remembered_limit = 4;

std::optional<Clock::time_point> parse_time(const std::string& text) {
    Poco::DateTime when;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, when, zone))
        return std::nullopt;
    return Clock::from_time_t(when.timestamp().epochTime());
}

std::string changes_text(const ChangeSummary& s) {
    std::string out;
    const std::pair<const char*, std::int64_t> kinds[] = {{"created", s.created},
                                                          {"linked", s.linked},
                                                          {"updated", s.updated},
                                                          {"reactivated", s.reactivated},
                                                          {"deactivated", s.deactivated},
                                                          {"unsynced", s.unsynced},
                                                          {"departments created", s.departments_created},
                                                          {"memberships added", s.memberships_added},
                                                          {"memberships removed", s.memberships_removed},
                                                          {"managers changed", s.managers_changed}};
    for (const auto& [name, count] : kinds)
        if (count > 0) out += (out.empty() ? "" : ", ") + std::string(name) + " " + std::to_string(count);
    return out.empty() ? "no changes" : out;
}

// What became of a pushed request, from its run's status.
std::string request_status(core::RunStatus run_status) {
    using core::RunStatus;
    if (run_status == RunStatus::noop) return "applied";
    if (run_status == RunStatus::simulated || run_status == RunStatus::applied || run_status == RunStatus::blocked ||
        run_status == RunStatus::rejected)
        return std::string(core::to_string(run_status));
    return "failed";
}

}  // namespace

PipelineWorker::PipelineWorker(DaemonServices& services, core::Pipeline& pipeline, bool pushes)
    : services_(services),
      pipeline_(pipeline),
      name_(pipeline.settings().name),
      pushes_(pushes),
      log_(Poco::Logger::get("peoplesyncd.run")),
      progress_(std::make_unique<Progress>(cancel_)) {}

PipelineWorker::~PipelineWorker() {
    stop(true);
    join();
}

void PipelineWorker::start() {
    const auto& schedule = pipeline_.settings().schedule;
    if (!schedule.empty()) {
        // Due `every` after the pipeline's last run, whoever started it: a
        // restart neither skips a run nor repeats one early.
        Clock::time_point next = Clock::now();
        auto last = services_.state.runs(name_, 1);
        if (!last.empty())
            if (auto at = parse_time(last.front().started_at))
                next = std::max(next, *at + std::chrono::seconds(schedule.every_secs));
        std::lock_guard lock(mutex_);
        next_run_ = next;
    }
    thread_ = std::thread([this] { loop(); });
}

void PipelineWorker::stop(bool cancel) {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    if (cancel) cancel_ = true;
    wake_.notify_all();
}

void PipelineWorker::join() {
    if (thread_.joinable()) thread_.join();
}

void PipelineWorker::notify() {
    {
        std::lock_guard lock(mutex_);
        notified_ = true;
    }
    wake_.notify_all();
}

void PipelineWorker::remember(std::int64_t request_id, Snapshot snapshot, std::optional<core::Validation> validated) {
    std::lock_guard lock(mutex_);
    if (remembered_.size() < remembered_limit)
        remembered_.emplace(request_id, Remembered{std::move(snapshot), std::move(validated)});
}

std::future<json> PipelineWorker::submit(std::function<json()> job) {
    std::packaged_task<json()> task(std::move(job));
    auto result = task.get_future();
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw Error("the daemon is stopping or reloading; try again");
        jobs_.push_back(std::move(task));
    }
    wake_.notify_all();
    return result;
}

core::ProgressListener& PipelineWorker::progress() {
    return *progress_;
}

PipelineWorker::Status PipelineWorker::status() const {
    std::lock_guard lock(mutex_);
    Status status;
    status.busy = !doing_.empty();
    status.doing = doing_;
    if (next_run_) status.next_run_at = Clock::to_time_t(*next_run_);
    return status;
}

void PipelineWorker::set_doing(std::string what) {
    std::lock_guard lock(mutex_);
    doing_ = std::move(what);
}

bool PipelineWorker::pause(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, duration, [this] { return stopping_; });
}

core::PipelineLock PipelineWorker::lock() {
    std::string holder;
    if (auto held = services_.locks.try_lock(name_, &holder)) return std::move(*held);
    log_.information("pipeline " + name_ + " is busy (" + holder + "); waiting for it");
    auto held = services_.locks.lock(name_, [this] { return cancel_.load(); });
    if (!held) throw core::RunCancelled("the daemon is stopping; the run did not start");
    return std::move(*held);
}

void PipelineWorker::finished(const core::RunReport& report, const std::string& trigger, double seconds) {
    char took[32];
    std::snprintf(took, sizeof took, "%.2f", seconds);
    std::string line = "pipeline " + name_ + " run " + std::to_string(report.run_id) + " (" + trigger +
                       "): " + std::string(core::to_string(report.status)) + " in " + took + " s, " +
                       std::to_string(report.users) + " users, " + std::string(core::to_string(report.mode)) +
                       " mode; " + changes_text(report.changes());
    if (!report.message.empty()) line += "; " + report.message;
    if (report.status == core::RunStatus::failed)
        log_.error(line);
    else if (report.status == core::RunStatus::blocked || report.status == core::RunStatus::rejected ||
             report.status == core::RunStatus::interrupted)
        log_.warning(line);
    else
        log_.information(line);
    ran_ = true;
    services_.metrics.run_finished(name_, report.status,
                                   report.status == core::RunStatus::applied ? report.changes() : ChangeSummary{});
    if (report.status == core::RunStatus::applied || report.status == core::RunStatus::noop ||
        report.status == core::RunStatus::simulated)
        services_.metrics.last_success(name_, Clock::to_time_t(Clock::now()));
}

core::RunReport PipelineWorker::run(const core::RunRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    auto held = lock();
    core::RunReport report = pipeline_.run(request, *progress_);
    finished(report, request.trigger,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return report;
}

core::RunReport PipelineWorker::approve(std::int64_t run_id) {
    const auto started = std::chrono::steady_clock::now();
    auto held = lock();
    core::RunReport report = pipeline_.approve(run_id, *progress_);
    finished(report, "approval of run " + std::to_string(run_id),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return report;
}

void PipelineWorker::loop() {
    while (true) {
        std::optional<std::packaged_task<json()>> job;
        bool look_for_requests = false, scheduled = false;
        {
            std::unique_lock lock(mutex_);
            auto wait = std::chrono::duration_cast<Clock::duration>(poll_interval);
            if (next_run_) wait = std::min(wait, std::max(Clock::duration::zero(), *next_run_ - Clock::now()));
            wake_.wait_for(lock, wait, [this] { return stopping_ || !jobs_.empty() || notified_; });
            if (stopping_) break;
            if (!jobs_.empty()) {
                job.emplace(std::move(jobs_.front()));
                jobs_.pop_front();
            } else {
                // Also every poll_interval: a request validated by a configuration
                // this daemon has just replaced waits in the log.
                look_for_requests = pushes_;
                notified_ = false;
                scheduled = next_run_ && Clock::now() >= *next_run_;
            }
        }
        try {
            if (job) {
                set_doing("admin request");
                (*job)();
            }
            if (look_for_requests) process_waiting_requests();
            if (scheduled) scheduled_run();
        } catch (const core::RunCancelled& e) {
            log_.information("pipeline " + name_ + ": " + e.what());
        } catch (const std::exception& e) {
            log_.error("pipeline " + name_ + ": " + core::error_text(e));
        }
        set_doing("");
        give_back_memory();
    }
    std::deque<std::packaged_task<json()>> left;
    {
        std::lock_guard lock(mutex_);
        left.swap(jobs_);
    }
    // A task never run fails its future with broken_promise; the admin API says the daemon is stopping.
    left.clear();
    finished_ = true;
}

void PipelineWorker::process_waiting_requests() {
    for (auto& request : services_.requests.with_status(name_, "validated")) {
        if (services_.processing_delay.count() > 0 && !pause(services_.processing_delay)) return;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
        }
        process(std::move(request));
        give_back_memory();
    }
}

void PipelineWorker::give_back_memory() {
    // What the run parsed and indexed, given back to the system.
    if (ran_.exchange(false)) core::release_free_memory();
}

void PipelineWorker::process(core::PushRequest request) {
    set_doing("request " + std::to_string(request.id));
    const auto started = std::chrono::steady_clock::now();
    auto held = lock();
    // After a reload the worker of the previous configuration may have run it while this one waited for the lock.
    if (auto now = services_.requests.get(request.id); !now || now->status != "validated") return;
    std::optional<Snapshot> snapshot;
    core::RunRequest run_request;
    {
        std::lock_guard lock(mutex_);
        if (auto it = remembered_.find(request.id); it != remembered_.end()) {
            snapshot = std::move(it->second.snapshot);
            run_request.validated = std::move(it->second.validated);
            remembered_.erase(it);
        }
    }
    run_request.trigger = "request " + std::to_string(request.id);
    // A request acknowledged in test mode is only ever simulated.
    run_request.dry_run = request.mode != "live";
    try {
        run_request.snapshot =
            snapshot ? std::move(*snapshot) : core::pushed_snapshot(request, services_.requests.body(request.id));
    } catch (const std::exception& e) {
        request.status = "failed";
        request.message = "the logged body cannot be read again: " + core::error_text(e);
        services_.requests.update(request);
        services_.metrics.push_request(name_, request.status);
        log_.error("pipeline " + name_ + " request " + std::to_string(request.id) + ": " + request.message);
        return;
    }
    const std::string trigger = run_request.trigger;
    const bool dry_run = run_request.dry_run;
    core::RunReport report = pipeline_.run(std::move(run_request), *progress_);
    finished(report, trigger, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (report.status == core::RunStatus::interrupted) {
        // Still acknowledged and validated: the next start runs it again.
        request.message = "the daemon stopped before its run could finish; it runs again at the next start";
        services_.requests.update(request);
        return;
    }
    request.status = request_status(report.status);
    request.run_id = report.run_id;
    request.findings = core::findings_json(report.findings);
    request.message = report.message;
    if (report.status == core::RunStatus::noop)
        request.message = "nothing to change: the destination already matched the snapshot";
    if (report.status == core::RunStatus::simulated && request.message.empty())
        request.message = dry_run ? "test mode: simulated, nothing applied" : "simulated";
    services_.requests.update(request);
    services_.metrics.push_request(name_, request.status);
}

void PipelineWorker::scheduled_run() {
    set_doing("scheduled run");
    {
        std::lock_guard lock(mutex_);
        next_run_ = Clock::now() + std::chrono::seconds(pipeline_.settings().schedule.every_secs);
    }
    core::RunRequest request;
    request.trigger = "schedule";
    run(request);
}

}  // namespace peoplesync::server
