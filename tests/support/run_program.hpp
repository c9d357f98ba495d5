// Runs a program to its end and returns what it printed: the CLI, the
// daemon's one-shot commands, git.
#pragma once

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

namespace peoplesync::testing {

struct Output {
    int status = -1;
    std::string out, err;
};

inline Output run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::filesystem::path& cwd, const Poco::Process::Env& env = {}) {
    Poco::Pipe out, err;
    auto handle = Poco::Process::launch(program, args, cwd.string(), nullptr, &out, &err, env);
    Poco::PipeInputStream out_stream(out), err_stream(err);
    Output result;
    std::thread drain_err([&] { Poco::StreamCopier::copyToString(err_stream, result.err); });
    Poco::StreamCopier::copyToString(out_stream, result.out);
    drain_err.join();
    result.status = handle.wait();
    return result;
}

}  // namespace peoplesync::testing
