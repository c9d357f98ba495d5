// fresh_test_dir (tests/support/test_dir.hpp): one folder per test, right in
// the temporary folder, so that removing it leaves nothing behind — for a
// parameterised test ("Name/0") too.
#include <gtest/gtest.h>

#include "test_dir.hpp"

namespace peoplesync {
namespace {

class FreshTestDir : public ::testing::TestWithParam<int> {};

TEST_P(FreshTestDir, IsOneFolderInTheTemporaryFolder) {
    const auto dir = testing::fresh_test_dir("peoplesync-test-dir");
    EXPECT_EQ(dir.parent_path(), (std::filesystem::temp_directory_path() / "x").parent_path()) << dir;
    EXPECT_TRUE(std::filesystem::is_empty(dir));
    std::filesystem::remove_all(dir);
    EXPECT_FALSE(std::filesystem::exists(dir));
}

INSTANTIATE_TEST_SUITE_P(Parameterised, FreshTestDir, ::testing::Values(0));

}  // namespace
}  // namespace peoplesync
