// The ABI version must change whenever an SDK header changes, and
// sdk/abi.lock keeps every version the headers ever had (abi_lock_history.hpp).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <Poco/SHA2Engine.h>
#include <gtest/gtest.h>

#include <peoplesync/abi.hpp>

#include "abi_lock_history.hpp"

namespace {

std::string read_lock() {
    std::ifstream in(PEOPLESYNC_ABI_LOCK, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string headers_hash() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(PEOPLESYNC_SDK_INCLUDE_DIR))
        if (entry.path().extension() == ".hpp") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        sha.update(file.filename().string());
        sha.update(text.str());
    }
    return Poco::DigestEngine::digestToHex(sha.digest());
}

TEST(SdkAbi, HeadersMatchTheLockedVersion) {
    const auto lock = peoplesync::abi_lock::parse(read_lock());
    for (const auto& problem : lock.malformed) ADD_FAILURE() << "sdk/abi.lock " << problem;
    const auto& history = lock.lines;
    ASSERT_FALSE(history.empty()) << "sdk/abi.lock is missing or empty";
    for (std::size_t i = 1; i < history.size(); ++i)
        EXPECT_GT(history[i].version, history[i - 1].version) << "sdk/abi.lock: versions must only grow";
    const std::string current = headers_hash();
    const auto& newest = history.back();
    if (newest.hash == current) {
        EXPECT_EQ(newest.version, static_cast<unsigned>(PEOPLESYNC_ABI_VERSION))
            << "sdk/abi.lock locks these headers as ABI " << newest.version << " but abi.hpp says "
            << PEOPLESYNC_ABI_VERSION;
        return;
    }
    EXPECT_GT(static_cast<unsigned>(PEOPLESYNC_ABI_VERSION), newest.version)
        << "the SDK headers changed without a new ABI version: bump PEOPLESYNC_ABI_VERSION in "
           "sdk/include/peoplesync/abi.hpp, run this test again and append the line it prints to sdk/abi.lock";
    ADD_FAILURE() << "the SDK headers changed: append this line to sdk/abi.lock (never change a line above it): "
                  << PEOPLESYNC_ABI_VERSION << " " << current;
}

// These commits rewrote the newest line in place (ABI 6 and 7) while the
// test above read only that line; the lines they left are the ones kept.
const std::set<std::string> rewrites_before_the_history_was_checked = {
    "b714ae4f4da0abb7fb223a3d2a824f33b21e8110",  // Sink::load_index_for
    "307482cdad8986ca593856e866732cd52c22984f",  // Source::end_scan
    "978b74af32ef6b9de45fd486fcb6224cef96fb09",  // User::clear()
    "128fe117df2bfa13aaaa8e54b8d51dca97421c00",  // Users::hris_id and friends
    "1598bb7cb6424e899279e9c91a145c984ef2f42c",  // detail::IndexIterator
};

TEST(SdkAbi, LockedLinesNeverChange) {
    const peoplesync::abi_lock::History history(PEOPLESYNC_SOURCE_DIR, "sdk/abi.lock");
    if (auto why = history.unavailable())
        GTEST_SKIP() << "sdk/abi.lock's history is not checked, only its newest line: " << *why;
    for (const auto& problem : history.problems(read_lock(), rewrites_before_the_history_was_checked))
        ADD_FAILURE() << problem
                      << ". A committed line never changes: raise PEOPLESYNC_ABI_VERSION to one no commit has used "
                         "and append a new line.";
}

}  // namespace
