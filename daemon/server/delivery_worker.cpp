#include "delivery_worker.hpp"

#include <algorithm>

namespace peoplesync::server {

namespace {
// Looked at again this often even when nothing says so: another process (a
// CLI) may have queued or delivered meanwhile.
constexpr std::int64_t idle_poll_ms = 30000;
// How soon to look again at a sink whose queue another process holds.
constexpr std::int64_t busy_poll_ms = 2000;
}  // namespace

DeliveryWorker::DeliveryWorker(DaemonServices& services, core::Pipeline& pipeline)
    : services_(services),
      pipeline_(pipeline),
      name_(pipeline.settings().name),
      log_(Poco::Logger::get("peoplesyncd.delivery")) {}

DeliveryWorker::~DeliveryWorker() {
    stop();
    join();
}

void DeliveryWorker::start() {
    thread_ = std::thread([this] { loop(); });
}

void DeliveryWorker::stop() {
    stopping_ = true;
    services_.state.outbox().notify();
}

void DeliveryWorker::join() {
    if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::loop() {
    core::OutboxStore& store = services_.state.outbox();
    while (!stopping_) {
        const std::uint64_t seen = store.version();
        std::int64_t next_ms = core::epoch_ms() + idle_poll_ms;
        try {
            next_ms = std::min(next_ms, deliver_due());
        } catch (const std::exception& e) {
            log_.error("pipeline " + name_ + ": delivering: " + e.what());
            next_ms = core::epoch_ms() + busy_poll_ms;
        }
        const std::int64_t wait_ms = std::max<std::int64_t>(0, next_ms - core::epoch_ms());
        store.wait(seen, std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms),
                   [this] { return stopping_.load(); });
    }
}

std::int64_t DeliveryWorker::deliver_due() {
    core::OutboxStore& store = services_.state.outbox();
    std::int64_t next_ms = core::epoch_ms() + idle_poll_ms;
    for (const auto& sink : pipeline_.delivering_sinks()) {
        if (stopping_) break;
        auto held = services_.locks.try_lock(core::delivery_lock_name(name_, sink.name));
        if (!held) {
            next_ms = std::min(next_ms, core::epoch_ms() + busy_poll_ms);
            continue;
        }
        core::deliver_due(
            store, name_, sink.name, *sink.sink, sink.retry, false, [this] { return stopping_.load(); },
            [&](const core::DeliveryEvent& event) {
                services_.metrics.delivery(name_, sink.name, std::string(core::to_string(event.outcome)));
                const std::string what = "pipeline " + name_ + ", sink " + sink.name + ": message " +
                                         std::to_string(event.entry) + " (run " + std::to_string(event.run_id) +
                                         "), attempt " + std::to_string(event.attempt) + ": ";
                if (event.outcome == DeliveryResult::Outcome::delivered)
                    log_.information(what + "delivered: " + event.message);
                else if (event.outcome == DeliveryResult::Outcome::rejected || event.gave_up)
                    log_.error(what + event.message +
                               "; delivery to this sink stopped until an operator retries "
                               "(peoplesync outbox retry " +
                               name_ + " " + sink.name + ") or drops it");
                else
                    log_.warning(what + event.message + "; next attempt " + core::iso8601_ms(event.next_attempt_at_ms));
            });
        auto state = store.sink(name_, sink.name);
        if (!state.stopped.empty()) continue;
        if (auto head = store.head(name_, sink.name)) next_ms = std::min(next_ms, head->next_attempt_at_ms);
    }
    return next_ms;
}

}  // namespace peoplesync::server
