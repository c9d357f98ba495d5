// The directory's WAL checkpoint after a run, on a thread of its own.
#pragma once

#include <string>
#include <thread>

#include <peoplesync/plugin.hpp>

namespace peoplesync::directory {

// A passive checkpoint on a connection of its own, on a thread of its own:
// it waits for no one, and a reader or writer of the moment only leaves part
// of the log for the next checkpoint. The sink joins it before its next run
// (whose journal switch its connection would hold up) and before its own
// connection closes (whose checkpoint then has nothing left to copy).
class Checkpointer {
public:
    Checkpointer() = default;
    ~Checkpointer() { join(); }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    // A failure is a warning: the next checkpoint copies the pages.
    void start(const std::string& file, Logger& log);
    void join() {
        if (thread_.joinable()) thread_.join();
    }

private:
    std::thread thread_;
};

}  // namespace peoplesync::directory
