#include "worker_pool.hpp"

#include <algorithm>

namespace peoplesync::server {

WorkerPool::WorkerPool(int threads, std::size_t max_queued, int kept_for_urgent)
    : threads_(threads), max_queued_(max_queued), kept_for_urgent_(kept_for_urgent) {
    workers_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
    stop();
}

bool WorkerPool::submit(std::function<void()> job, bool urgent) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= max_queued_) return false;
        queue_.push_back({std::move(job), urgent});
    }
    wake_.notify_all();
    return true;
}

void WorkerPool::stop() {
    std::deque<Job> dropped;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(queue_);
    }
    wake_.notify_all();
    for (auto& worker : workers_)
        if (worker.joinable()) worker.join();
}

std::size_t WorkerPool::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

int WorkerPool::busy() const {
    std::lock_guard lock(mutex_);
    return busy_;
}

std::deque<WorkerPool::Job>::iterator WorkerPool::next_job() {
    auto urgent = std::find_if(queue_.begin(), queue_.end(), [](const Job& job) { return job.urgent; });
    if (urgent != queue_.end()) return urgent;
    if (busy_ordinary_ >= threads_ - kept_for_urgent_) return queue_.end();
    return queue_.begin();
}

void WorkerPool::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] { return stopping_ || next_job() != queue_.end(); });
        if (stopping_) return;
        auto at = next_job();
        Job job = std::move(*at);
        queue_.erase(at);
        ++busy_;
        busy_ordinary_ += job.urgent ? 0 : 1;
        lock.unlock();
        job.run();
        job.run = nullptr;  // what it holds (a connection) is released before the next wait
        lock.lock();
        --busy_;
        busy_ordinary_ -= job.urgent ? 0 : 1;
        if (!job.urgent) wake_.notify_all();  // an ordinary job may start now
    }
}

}  // namespace peoplesync::server
