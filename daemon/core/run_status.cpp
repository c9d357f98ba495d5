#include "run_status.hpp"

#include <array>
#include <utility>

namespace peoplesync::core {

namespace {
constexpr std::array<std::pair<RunStatus, std::string_view>, 8> run_statuses{{{RunStatus::running, "running"},
                                                                              {RunStatus::applied, "applied"},
                                                                              {RunStatus::simulated, "simulated"},
                                                                              {RunStatus::noop, "noop"},
                                                                              {RunStatus::rejected, "rejected"},
                                                                              {RunStatus::blocked, "blocked"},
                                                                              {RunStatus::failed, "failed"},
                                                                              {RunStatus::interrupted, "interrupted"}}};
constexpr std::array<std::pair<SinkStatus, std::string_view>, 7> sink_statuses{{{SinkStatus::pending, ""},
                                                                                {SinkStatus::applied, "applied"},
                                                                                {SinkStatus::noop, "noop"},
                                                                                {SinkStatus::simulated, "simulated"},
                                                                                {SinkStatus::blocked, "blocked"},
                                                                                {SinkStatus::failed, "failed"},
                                                                                {SinkStatus::rejected, "rejected"}}};

template <typename Status, std::size_t n>
std::string_view text_of(const std::array<std::pair<Status, std::string_view>, n>& table, Status status) {
    for (const auto& [value, text] : table)
        if (value == status) return text;
    return "?";
}

template <typename Status, std::size_t n>
std::optional<Status> value_of(const std::array<std::pair<Status, std::string_view>, n>& table, std::string_view text) {
    for (const auto& [value, spelled] : table)
        if (spelled == text) return value;
    return std::nullopt;
}
}  // namespace

std::string_view to_string(RunStatus status) {
    return text_of(run_statuses, status);
}
std::optional<RunStatus> parse_run_status(std::string_view text) {
    return value_of(run_statuses, text);
}
std::ostream& operator<<(std::ostream& out, RunStatus status) {
    return out << to_string(status);
}

std::string_view to_string(SinkStatus status) {
    return text_of(sink_statuses, status);
}
std::optional<SinkStatus> parse_sink_status(std::string_view text) {
    return value_of(sink_statuses, text);
}
std::ostream& operator<<(std::ostream& out, SinkStatus status) {
    return out << to_string(status);
}

}  // namespace peoplesync::core
