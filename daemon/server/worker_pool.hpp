// Threads that serve requests the poller has read the heads of, with a
// bounded queue. A pool can keep threads for urgent jobs (/health and
// /metrics): other jobs never take the last `kept_for_urgent` of them,
// and urgent jobs go first.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace peoplesync::server {

class WorkerPool {
public:
    WorkerPool(int threads, std::size_t max_queued, int kept_for_urgent = 0);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // False when the queue is full or the pool stopped: the job is not run.
    bool submit(std::function<void()> job, bool urgent = false);
    // Drops the jobs not started and waits for those running.
    void stop();

    std::size_t queued() const;
    int busy() const;

private:
    struct Job {
        std::function<void()> run;
        bool urgent;
    };
    void work();
    // The queue's next job a free thread may take, or end().
    std::deque<Job>::iterator next_job();

    const int threads_;
    const std::size_t max_queued_;
    const int kept_for_urgent_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    int busy_ = 0;
    int busy_ordinary_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace peoplesync::server
