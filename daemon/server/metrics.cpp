#include "metrics.hpp"

#include <sstream>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "process_tuning.hpp"
#include "sqlite_memory.hpp"

namespace peoplesync::server {

namespace {

// A label value in the exposition format: backslash, quote and newline escaped.
std::string label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

void Metrics::http_answered(const std::string& route, int status) {
    std::lock_guard lock(mutex_);
    ++http_[{route, status}];
}

void Metrics::run_finished(const std::string& pipeline, core::RunStatus status, const ChangeSummary& applied) {
    std::lock_guard lock(mutex_);
    ++runs_[{pipeline, std::string(core::to_string(status))}];
    if (status != core::RunStatus::applied) return;
    const std::pair<const char*, std::int64_t> kinds[] = {{"created", applied.created},
                                                          {"linked", applied.linked},
                                                          {"updated", applied.updated},
                                                          {"reactivated", applied.reactivated},
                                                          {"deactivated", applied.deactivated},
                                                          {"unsynced", applied.unsynced},
                                                          {"departments_created", applied.departments_created},
                                                          {"memberships_added", applied.memberships_added},
                                                          {"memberships_removed", applied.memberships_removed},
                                                          {"managers_changed", applied.managers_changed}};
    for (const auto& [kind, count] : kinds) changes_[{pipeline, kind}] += count;
}

void Metrics::last_success(const std::string& pipeline, std::int64_t epoch_seconds) {
    std::lock_guard lock(mutex_);
    auto& at = last_success_[pipeline];
    if (epoch_seconds > at) at = epoch_seconds;
}

void Metrics::push_request(const std::string& pipeline, const std::string& status) {
    std::lock_guard lock(mutex_);
    ++requests_[{pipeline, status}];
}

void Metrics::delivery(const std::string& pipeline, const std::string& sink, const std::string& outcome) {
    std::lock_guard lock(mutex_);
    ++deliveries_[{pipeline, sink, outcome}];
}

void Metrics::console_sign_in(const std::string& outcome) {
    std::lock_guard lock(mutex_);
    ++console_sign_ins_[outcome];
}

std::string Metrics::render(const ServerGauges& server, const std::vector<core::OutboxSink>& outbox) const {
    std::lock_guard lock(mutex_);
    std::ostringstream out;
    header(out, "peoplesync_runs_total", "counter", "Pipeline runs finished, by pipeline and status.");
    for (const auto& [key, n] : runs_)
        out << "peoplesync_runs_total{pipeline=\"" << label(key.first) << "\",status=\"" << label(key.second) << "\"} "
            << n << '\n';
    header(out, "peoplesync_changes_applied_total", "counter", "Changes applied to sinks, by pipeline and kind.");
    for (const auto& [key, n] : changes_)
        out << "peoplesync_changes_applied_total{pipeline=\"" << label(key.first) << "\",kind=\"" << label(key.second)
            << "\"} " << n << '\n';
    header(out, "peoplesync_last_success_timestamp_seconds", "gauge",
           "When the pipeline's last run that went through (applied, noop or simulated) finished.");
    for (const auto& [pipeline, at] : last_success_)
        out << "peoplesync_last_success_timestamp_seconds{pipeline=\"" << label(pipeline) << "\"} " << at << '\n';
    header(out, "peoplesync_push_requests_total", "counter",
           "Pushed (webhook) requests logged, by pipeline and the status they reached.");
    for (const auto& [key, n] : requests_)
        out << "peoplesync_push_requests_total{pipeline=\"" << label(key.first) << "\",status=\"" << label(key.second)
            << "\"} " << n << '\n';
    header(out, "peoplesync_deliveries_total", "counter",
           "Attempts to deliver outbox messages to remote receivers, by pipeline, sink and outcome "
           "(delivered, retry, rejected).");
    for (const auto& [key, n] : deliveries_)
        out << "peoplesync_deliveries_total{pipeline=\"" << label(std::get<0>(key)) << "\",sink=\""
            << label(std::get<1>(key)) << "\",outcome=\"" << label(std::get<2>(key)) << "\"} " << n << '\n';
    header(out, "peoplesync_outbox_messages", "gauge", "Messages waiting in a sink's outbox.");
    for (const auto& s : outbox)
        out << "peoplesync_outbox_messages{pipeline=\"" << label(s.pipeline) << "\",sink=\"" << label(s.sink) << "\"} "
            << s.pending << '\n';
    header(out, "peoplesync_outbox_stopped", "gauge",
           "1 when a sink's delivery stopped (a receiver refused a message, or retries ran out) until an operator "
           "retries or drops it.");
    for (const auto& s : outbox)
        out << "peoplesync_outbox_stopped{pipeline=\"" << label(s.pipeline) << "\",sink=\"" << label(s.sink) << "\"} "
            << (s.stopped.empty() ? 0 : 1) << '\n';
    header(out, "peoplesync_http_requests_total", "counter", "HTTP requests answered, by route and status code.");
    for (const auto& [key, n] : http_)
        out << "peoplesync_http_requests_total{route=\"" << label(key.first) << "\",code=\"" << key.second << "\"} "
            << n << '\n';
    header(out, "peoplesync_console_sign_ins_total", "counter",
           "Sign-ins to the console, by outcome (signed_in, refused: a wrong token or password).");
    for (const auto& [outcome, n] : console_sign_ins_)
        out << "peoplesync_console_sign_ins_total{outcome=\"" << label(outcome) << "\"} " << n << '\n';
    header(out, "peoplesync_http_refused_connections_total", "counter",
           "Connections refused or closed for room: every thread busy and the queue full, or max_connections "
           "open.");
    out << "peoplesync_http_refused_connections_total " << server.refused_connections << '\n';
    header(out, "peoplesync_http_connections", "gauge", "Connections being served now.");
    out << "peoplesync_http_connections " << server.current_connections << '\n';
    header(out, "peoplesync_http_queued_connections", "gauge", "Requests waiting for a thread now.");
    out << "peoplesync_http_queued_connections " << server.queued_connections << '\n';
    header(out, "peoplesync_http_idle_connections", "gauge",
           "Open connections waiting for (the rest of) a request, holding no thread.");
    out << "peoplesync_http_idle_connections " << server.idle_connections << '\n';
#ifdef __GLIBC__
    // glibc's heaps: memory handed out, and memory freed but kept for later
    // (not given back to the system). Together with SQLite's memory they tell
    // a leak (in use grows) from fragmentation (free grows).
    const struct mallinfo2 heap = mallinfo2();
    header(out, "peoplesync_heap_in_use_bytes", "gauge", "Memory the process's heaps have handed out (glibc).");
    out << "peoplesync_heap_in_use_bytes " << heap.uordblks + heap.hblkhd << '\n';
    header(out, "peoplesync_heap_free_bytes", "gauge",
           "Memory freed into the process's heaps and kept there, not given back to the system (glibc).");
    out << "peoplesync_heap_free_bytes " << heap.fordblks << '\n';
    const core::TrimCount trims = core::trims_done();
    header(out, "peoplesync_heap_trims_total", "counter",
           "Times the freed memory of the heaps was given back to the system (after each run).");
    out << "peoplesync_heap_trims_total " << trims.trims << '\n';
    header(out, "peoplesync_heap_trim_seconds_total", "counter", "The time those took, in all.");
    out << "peoplesync_heap_trim_seconds_total " << trims.seconds << '\n';
#endif
    if (core::sqlite_memory_counted()) {
        const sqlite::HeapUse sqlite = sqlite::heap_use();
        header(out, "peoplesync_sqlite_memory_bytes", "gauge",
               "Memory SQLite holds now: the page caches, schemas and statements of every database connection of "
               "the process (each cache grows up to its cache_size as its database grows, then holds).");
        out << "peoplesync_sqlite_memory_bytes " << sqlite.now << '\n';
        header(out, "peoplesync_sqlite_memory_max_bytes", "gauge", "The most memory SQLite has held since the start.");
        out << "peoplesync_sqlite_memory_max_bytes " << sqlite.most << '\n';
    }
    return out.str();
}

}  // namespace peoplesync::server
