// A run's status and each sink's part in it: one spelling each, as stored in
// the state database, printed and sent by the admin API.
#pragma once

#include <optional>
#include <ostream>
#include <string_view>

namespace peoplesync::core {

enum class RunStatus { running, applied, simulated, noop, rejected, blocked, failed, interrupted };
std::string_view to_string(RunStatus status);
// Nothing for a text that is no run status.
std::optional<RunStatus> parse_run_status(std::string_view text);
std::ostream& operator<<(std::ostream& out, RunStatus status);

// `pending`: nothing decided for the sink yet (the run stopped before it),
// written as "".
enum class SinkStatus { pending, applied, noop, simulated, blocked, failed, rejected };
std::string_view to_string(SinkStatus status);
std::optional<SinkStatus> parse_sink_status(std::string_view text);
std::ostream& operator<<(std::ostream& out, SinkStatus status);

}  // namespace peoplesync::core
