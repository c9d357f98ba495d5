#include "retry_policy.hpp"

#include <algorithm>

namespace peoplesync::core {

std::int64_t RetryPolicy::backoff_ms(std::int64_t failed_attempts, double unit) const {
    const std::int64_t ceiling = max_backoff_secs * 1000;
    std::int64_t wait = initial_backoff_ms;
    for (std::int64_t i = 1; i < failed_attempts && wait < ceiling; ++i) wait *= 2;
    wait = std::min(wait, ceiling);
    unit = std::clamp(unit, 0.0, 1.0);
    return wait / 2 + static_cast<std::int64_t>(static_cast<double>(wait - wait / 2) * unit);
}

// A sink without a retry map keeps RetryPolicy's initializers: they are the
// defaults, and this table shows them.
const OptionTable<RetryPolicy>& retry_options() {
    static const OptionTable<RetryPolicy> table = {
        {option::integer("initial_backoff_ms", "The wait after the first failed attempt; it doubles with each one.")
             .fallback(std::to_string(RetryPolicy{}.initial_backoff_ms))
             .range(10, 3600000),
         &RetryPolicy::initial_backoff_ms},
        {option::integer("max_backoff_secs", "The longest wait between two attempts.")
             .fallback(std::to_string(RetryPolicy{}.max_backoff_secs))
             .range(1, 86400),
         &RetryPolicy::max_backoff_secs},
        {option::integer("max_age_secs",
                         "How long a message is retried before the sink's delivery stops (the message is kept "
                         "until an operator retries or drops it).")
             .fallback(std::to_string(RetryPolicy{}.max_age_secs))
             .range(1, 31536000),
         &RetryPolicy::max_age_secs},
    };
    return table;
}

RetryPolicy parse_retry_policy(const ConfigValue& value) {
    RetryPolicy policy;
    if (value.is_null()) return policy;
    retry_options().read(value, policy);
    if (policy.initial_backoff_ms > policy.max_backoff_secs * 1000)
        value.at("initial_backoff_ms")
            .fail("the first wait (" + std::to_string(policy.initial_backoff_ms) +
                  " ms) is longer than max_backoff_secs (" + std::to_string(policy.max_backoff_secs) + " s)");
    return policy;
}

}  // namespace peoplesync::core
