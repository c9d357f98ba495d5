// One thread per pipeline does everything that touches its plugins, in
// order: pushed requests once they are acknowledged, scheduled pulls, and
// what the admin API asks (run now, approve, simulate, plugin commands).
// Each run also holds the pipeline's file lock, so a CLI on the same state
// database waits its turn.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <Poco/Logger.h>
#include <nlohmann/json.hpp>

#include "pipeline.hpp"
#include "services.hpp"

namespace peoplesync::server {

class PipelineWorker {
public:
    PipelineWorker(DaemonServices& services, core::Pipeline& pipeline, bool pushes);
    ~PipelineWorker();
    PipelineWorker(const PipelineWorker&) = delete;
    PipelineWorker& operator=(const PipelineWorker&) = delete;

    void start();
    // Takes no new work. With `cancel` (shutdown) a run in progress stops at
    // its next stage, before it applies anything; without (reload) it
    // finishes. Queued admin jobs fail either way.
    void stop(bool cancel);
    void join();
    // The thread has ended (after stop()).
    bool finished() const { return finished_.load(); }

    // A pushed request was validated: process it (and any other waiting).
    void notify();
    // Keeps a validated snapshot in memory so its run need not parse the
    // logged body again. Optional: the log alone is enough.
    void remember(std::int64_t request_id, Snapshot snapshot, std::optional<core::Validation> validated);

    // Runs `job` on the worker's thread after what is queued before it.
    std::future<nlohmann::json> submit(std::function<nlohmann::json()> job);

    // For jobs, on the worker's thread: a recorded run with the pipeline's
    // lock held, logged and counted.
    core::RunReport run(const core::RunRequest& request);
    core::RunReport approve(std::int64_t run_id);
    core::ProgressListener& progress();

    struct Status {
        bool busy = false;
        std::string doing;
        std::optional<std::int64_t> next_run_at;  // epoch seconds, scheduled pipelines
    };
    Status status() const;

private:
    class Progress;
    void loop();
    void process_waiting_requests();
    void process(core::PushRequest request);
    void give_back_memory();
    void scheduled_run();
    core::PipelineLock lock();
    void finished(const core::RunReport& report, const std::string& trigger, double seconds);
    void set_doing(std::string what);
    // Waits up to `duration`; false when the worker is stopping.
    bool pause(std::chrono::milliseconds duration);

    DaemonServices& services_;
    core::Pipeline& pipeline_;
    const std::string name_;
    const bool pushes_;
    Poco::Logger& log_;
    std::unique_ptr<Progress> progress_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::packaged_task<nlohmann::json()>> jobs_;
    struct Remembered {
        Snapshot snapshot;
        std::optional<core::Validation> validated;  // see RunRequest::validated
    };
    std::map<std::int64_t, Remembered> remembered_;
    bool notified_ = true;  // look for waiting requests at start
    bool stopping_ = false;
    std::atomic<bool> cancel_{false};
    std::atomic<bool> finished_{false};
    std::atomic<bool> ran_{false};  // a run finished since give_back_memory()
    std::string doing_;
    std::optional<std::chrono::system_clock::time_point> next_run_;
    std::thread thread_;
};

}  // namespace peoplesync::server
