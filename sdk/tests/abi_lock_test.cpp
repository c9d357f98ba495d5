// The ABI version must change whenever an SDK header changes.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <Poco/SHA2Engine.h>
#include <gtest/gtest.h>

#include <peoplesync/abi.hpp>

namespace {

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

// sdk/abi.lock is a history, one "version hash" line per ABI version, the
// newest last. Changing a header means a new line with a new version;
// rewriting an old line to make this test pass shows up in review.
TEST(SdkAbi, HeadersMatchTheLockedVersion) {
    std::ifstream lock(PEOPLESYNC_ABI_LOCK);
    std::vector<std::pair<unsigned, std::string>> history;
    unsigned version = 0;
    std::string hash;
    while (lock >> version >> hash) history.emplace_back(version, hash);
    ASSERT_FALSE(history.empty()) << "sdk/abi.lock is missing or empty";
    for (std::size_t i = 1; i < history.size(); ++i)
        EXPECT_GT(history[i].first, history[i - 1].first) << "sdk/abi.lock: versions must only grow";
    const std::string current = headers_hash();
    const auto& [locked_version, locked_hash] = history.back();
    if (locked_hash == current) {
        EXPECT_EQ(locked_version, static_cast<unsigned>(PEOPLESYNC_ABI_VERSION))
            << "sdk/abi.lock locks these headers as ABI " << locked_version << " but abi.hpp says "
            << PEOPLESYNC_ABI_VERSION;
        return;
    }
    EXPECT_GT(static_cast<unsigned>(PEOPLESYNC_ABI_VERSION), locked_version)
        << "the SDK headers changed without a new ABI version: bump PEOPLESYNC_ABI_VERSION in "
           "sdk/include/peoplesync/abi.hpp, run this test again and append the line it prints to sdk/abi.lock";
    ADD_FAILURE() << "the SDK headers changed: append this line to sdk/abi.lock: " << PEOPLESYNC_ABI_VERSION << " "
                  << current;
}

}  // namespace
