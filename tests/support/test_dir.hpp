// A fresh, empty folder for the running test: unique per process and test,
// so tests can run in parallel and a failed run leaves nothing behind for
// the next.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace peoplesync::testing {

inline std::filesystem::path fresh_test_dir(const std::string& prefix) {
    // A parameterised test is named "Name/0": one folder, not a folder in a
    // folder that removing the test's folder would leave behind.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name)
        if (c == '/' || c == '\\') c = '-';
    const auto dir = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace peoplesync::testing
