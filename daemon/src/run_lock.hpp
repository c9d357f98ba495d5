// A pipeline never runs twice at once: not in two threads of the daemon, and
// not in the daemon and a CLI at the same time. Each run holds an OS file
// lock (flock on Unix, LockFileEx on Windows) on a file next to the state
// database; the lock goes away with the process, so a crash leaves nothing
// to clean up.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace peoplesync::core {

class PipelineLock {
public:
    PipelineLock(PipelineLock&& other) noexcept;
    PipelineLock& operator=(PipelineLock&& other) noexcept;
    PipelineLock(const PipelineLock&) = delete;
    PipelineLock& operator=(const PipelineLock&) = delete;
    ~PipelineLock();

    const std::string& pipeline() const { return pipeline_; }

private:
    friend class RunLocks;
    PipelineLock(std::string pipeline, std::intptr_t handle) : pipeline_(std::move(pipeline)), handle_(handle) {}
    void release();

    std::string pipeline_;
    std::intptr_t handle_ = -1;  // a file descriptor, or a Windows HANDLE
};

class RunLocks {
public:
    // `holder` is written into the lock file while it is held, so a refused
    // caller can say who runs the pipeline: "peoplesyncd (pid 4242)".
    RunLocks(std::filesystem::path state_database, std::string holder);

    // The lock if nobody holds it now. Otherwise nothing, and `holder` (if
    // given) says who does.
    std::optional<PipelineLock> try_lock(const std::string& pipeline, std::string* holder = nullptr) const;
    // Waits until the pipeline is free; nothing if `give_up` says so first.
    std::optional<PipelineLock> lock(const std::string& pipeline, const std::function<bool()>& give_up,
                                     std::chrono::milliseconds poll = std::chrono::milliseconds(50)) const;

    std::filesystem::path file(const std::string& pipeline) const;

private:
    std::filesystem::path state_database_;
    std::string holder_;
};

}  // namespace peoplesync::core
