// How the core retries a delivery a receiver did not acknowledge: a sink's
// `retry` settings (shared by every sink that delivers, so no plugin has its
// own) and the exponential backoff with jitter they describe.
#pragma once

#include <cstdint>
#include <string>

#include <peoplesync/config.hpp>

namespace peoplesync::core {

struct RetryPolicy {
    std::int64_t initial_backoff_ms = 1000;  // the wait after the first failed attempt
    std::int64_t max_backoff_secs = 300;     // the longest wait between two attempts
    std::int64_t max_age_secs = 259200;      // give up (and stop the sink) past this age: 3 days

    // The wait before the attempt after `failed_attempts` failures, doubling
    // from initial_backoff_ms up to max_backoff_secs; `unit` (0 to 1) spreads
    // it over its upper half so that many senders do not retry in step.
    std::int64_t backoff_ms(std::int64_t failed_attempts, double unit) const;
};

// The option table of a sink's `retry` map.
const OptionTable<RetryPolicy>& retry_options();

// Checks and reads a sink's `retry` map (null: the defaults). Throws
// ConfigError with the place of the value at fault.
RetryPolicy parse_retry_policy(const ConfigValue& value);

}  // namespace peoplesync::core
