// A pipeline's run lock (run_lock.hpp): held once, across processes and
// within one, and saying by whom — flock on Linux, LockFileEx on Windows.
#include <gtest/gtest.h>

#include "run_lock.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

TEST(RunLocks, APipelineLockIsHeldOnceAndSaysByWhom) {
    const auto dir = testing::fresh_test_dir("peoplesync-run-lock");
    RunLocks mine(dir / "var" / "state.db", "test process");
    auto held = mine.try_lock("hris");
    ASSERT_TRUE(held);
    std::string holder;
    RunLocks other(dir / "var" / "state.db", "other");
    EXPECT_FALSE(other.try_lock("hris", &holder));
    EXPECT_EQ(holder, "test process");
    EXPECT_TRUE(other.try_lock("another-pipeline")) << "locks are per pipeline";
    held.reset();
    EXPECT_TRUE(other.try_lock("hris"));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peoplesync::core
