// What the stages of a run share: calls into plugins, entering a stage,
// timings, findings kept once.
#pragma once

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "pipeline.hpp"
#include "two_threads.hpp"

namespace peoplesync::core {

// Calls into a plugin during a run: what it throws that is not a
// std::exception becomes an Error naming it.
template <typename Call>
auto calling(const std::string& plugin, Call call) {
    try {
        return call();
    } catch (const std::exception&) {
        throw;
    } catch (...) {
        throw Error(plugin + " threw an exception that is not a std::exception");
    }
}

// Entries of each kind kept in a run's stored detail; the counts are always whole.
constexpr std::size_t detail_limit = 10000;

// Every stage starts here: a cancelled run stops before it applies anything.
inline void enter_stage(ProgressListener& progress, const std::string& stage) {
    if (progress.cancelled())
        throw RunCancelled("the run was cancelled before its " + stage + " stage; nothing was applied");
    progress.stage(stage);
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A run's findings, each location and message once.
class UniqueFindings {
public:
    explicit UniqueFindings(std::vector<Finding>& into) : into_(into) {}
    void add(const Finding& f) {
        if (seen_.emplace(f.location, f.message).second) into_.push_back(f);
    }

private:
    std::vector<Finding>& into_;
    std::set<std::pair<std::string, std::string>> seen_;
};

// Every sink can tell whether it changed.
inline bool all_known(const std::vector<std::string>& tokens) {
    return std::none_of(tokens.begin(), tokens.end(), [](const std::string& t) { return t.empty(); });
}

// The snapshot a run stored, into its record; when it could not be stored,
// the report's message says why.
void take_stored_snapshot(std::future<StateStore::StoredSnapshot>& stored, RunRecord& record, RunReport& report);

// For tests only: PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS holds a run whose
// sinks committed (and whose snapshot is stored) before it is recorded, so a
// test can kill the process exactly there.
void hold_after_commit_for_tests(const RunReport& report);

}  // namespace peoplesync::core
