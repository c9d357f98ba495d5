// What every part of the daemon shares for its whole life: the state
// database, the request log, the run locks and the metrics. A reload
// replaces the pipelines, never these.
#pragma once

#include <chrono>

#include "metrics.hpp"
#include "request_log.hpp"
#include "run_lock.hpp"
#include "state_store.hpp"

namespace peoplesync::server {

struct DaemonServices {
    core::StateStore& state;
    core::RequestLog& requests;
    core::RunLocks& locks;
    Metrics& metrics;
    // For tests only (PEOPLESYNC_TEST_PROCESSING_DELAY_MS): how long a pushed
    // request waits, acknowledged, before its run, so a test can stop the
    // daemon in between.
    std::chrono::milliseconds processing_delay{0};
};

}  // namespace peoplesync::server
