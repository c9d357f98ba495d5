// Delivers what a pipeline's sinks queued in the outbox (sinks that send to
// a remote receiver, Sink::delivers()): one thread per pipeline that has
// such sinks, each sink's queue oldest first, retried as the sink's `retry`
// settings say. It wakes when something is queued, when a retry is due and
// when an operator retries a stopped sink. A sink's queue is delivered under
// its own file lock, so a CLI on the same state database never sends the
// same message at the same time.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include <Poco/Logger.h>

#include "pipeline.hpp"
#include "services.hpp"

namespace peoplesync::server {

class DeliveryWorker {
public:
    DeliveryWorker(DaemonServices& services, core::Pipeline& pipeline);
    ~DeliveryWorker();
    DeliveryWorker(const DeliveryWorker&) = delete;
    DeliveryWorker& operator=(const DeliveryWorker&) = delete;

    void start();
    // Takes no new attempt; one under way finishes (within the sink's timeout).
    void stop();
    void join();

private:
    void loop();
    // Delivers what is due; returns when the next attempt is due (epoch ms).
    std::int64_t deliver_due();

    DaemonServices& services_;
    core::Pipeline& pipeline_;
    const std::string name_;
    Poco::Logger& log_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace peoplesync::server
