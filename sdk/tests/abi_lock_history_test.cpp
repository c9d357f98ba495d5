// The append-only rule of sdk/abi.lock, on small git repositories made for
// each test: appending passes; rewriting or removing a committed line, in a
// commit or in the work tree, fails; a merge may renumber a side branch's line.
#include <fstream>

#include <gtest/gtest.h>

#include "abi_lock_history.hpp"
#include "test_dir.hpp"

namespace {

using peoplesync::testing::run_program;

class AbiLockHistory : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("abi-lock");
        git({"init", "--quiet", "--initial-branch=main"});
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void git(std::vector<std::string> args) {
        std::vector<std::string> identity = {"-c", "user.name=Test",      "-c", "user.email=test@example.org",
                                             "-c", "commit.gpgsign=false"};
        args.insert(args.begin(), identity.begin(), identity.end());
        auto answer = run_program("git", args, dir_);
        ASSERT_EQ(answer.status, 0) << "git " << args[6] << ": " << answer.err;
    }
    void write_lock(const std::string& text) {
        std::filesystem::create_directories(dir_ / "sdk");
        std::ofstream(dir_ / "sdk/abi.lock", std::ios::binary) << text;
    }
    void commit_lock(const std::string& text, const std::string& message) {
        write_lock(text);
        git({"add", "sdk/abi.lock"});
        git({"commit", "--quiet", "-m", message});
    }
    std::vector<std::string> problems(const std::string& working_lock) {
        return peoplesync::abi_lock::History(dir_, "sdk/abi.lock").problems(working_lock);
    }

    std::filesystem::path dir_;
};

TEST_F(AbiLockHistory, AppendingLinesPasses) {
    commit_lock("1 aaaa\n", "ABI 1");
    commit_lock("1 aaaa\n2 bbbb\n", "ABI 2");
    EXPECT_EQ(peoplesync::abi_lock::History(dir_, "sdk/abi.lock").unavailable(), std::nullopt);
    EXPECT_TRUE(problems("1 aaaa\n2 bbbb\n3 cccc\n").empty());
}

TEST_F(AbiLockHistory, AnEarlierLineChangedInACommitFails) {
    commit_lock("1 aaaa\n2 bbbb\n", "ABI 2");
    commit_lock("1 ffff\n2 bbbb\n3 cccc\n", "ABI 3, and ABI 1 rewritten");
    auto found = problems("1 ffff\n2 bbbb\n3 cccc\n");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(found[0].find("(ABI 3, and ABI 1 rewritten) rewrote sdk/abi.lock: line 1 \"1 aaaa\" became \"1 ffff\""),
              std::string::npos)
        << found[0];
}

// The bypass of issue 20: new headers, the newest line rewritten, no new version.
TEST_F(AbiLockHistory, TheNewestLineRewrittenInACommitFails) {
    commit_lock("1 aaaa\n2 bbbb\n", "ABI 2");
    commit_lock("1 aaaa\n2 eeee\n", "a new virtual function");
    auto found = problems("1 aaaa\n2 eeee\n");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(found[0].find("line 2 \"2 bbbb\" became \"2 eeee\""), std::string::npos) << found[0];
}

TEST_F(AbiLockHistory, ALineRemovedInACommitFails) {
    commit_lock("1 aaaa\n2 bbbb\n", "ABI 2");
    commit_lock("1 aaaa\n", "back to ABI 1");
    auto found = problems("1 aaaa\n");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(found[0].find("line 2 \"2 bbbb\" was removed"), std::string::npos) << found[0];
}

TEST_F(AbiLockHistory, AnEarlierLineChangedInTheWorkTreeFails) {
    commit_lock("1 aaaa\n2 bbbb\n", "ABI 2");
    auto found = problems("1 ffff\n2 bbbb\n3 cccc\n");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(found[0].find("work tree differs from the committed one: line 1 \"1 aaaa\" became \"1 ffff\""),
              std::string::npos)
        << found[0];
}

// Two branches both took ABI 2; the merge keeps main's line and gives the
// merged headers ABI 3. The side branch's "2 bbbb" never reached main.
TEST_F(AbiLockHistory, AMergeMayRenumberASideBranchesLine) {
    commit_lock("1 aaaa\n", "ABI 1");
    git({"checkout", "--quiet", "-b", "side"});
    commit_lock("1 aaaa\n2 bbbb\n", "ABI 2 on the side branch");
    git({"checkout", "--quiet", "main"});
    commit_lock("1 aaaa\n2 cccc\n", "ABI 2 on main");
    git({"merge", "--quiet", "--no-commit", "-s", "ours", "side"});
    commit_lock("1 aaaa\n2 cccc\n3 dddd\n", "Merge side; ABI 3");
    EXPECT_TRUE(problems("1 aaaa\n2 cccc\n3 dddd\n").empty());
}

TEST_F(AbiLockHistory, AMergeThatRewritesALineOfEveryParentFails) {
    commit_lock("1 aaaa\n", "ABI 1");
    git({"checkout", "--quiet", "-b", "side"});
    commit_lock("1 aaaa\n2 bbbb\n", "ABI 2 on the side branch");
    git({"checkout", "--quiet", "main"});
    commit_lock("1 aaaa\n2 cccc\n", "ABI 2 on main");
    git({"merge", "--quiet", "--no-commit", "-s", "ours", "side"});
    commit_lock("1 aaaa\n2 dddd\n", "Merge side into ABI 2");
    auto found = problems("1 aaaa\n2 dddd\n");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(found[0].find("(Merge side into ABI 2) rewrote sdk/abi.lock: line 2 \"2 cccc\" became \"2 dddd\""),
              std::string::npos)
        << found[0];
}

TEST(AbiLockFile, ALineThatIsNotVersionAndHashIsReported) {
    auto lock = peoplesync::abi_lock::parse("1 aaaa\nseven bbbb\n3 cccc extra\n");
    EXPECT_EQ(lock.lines.size(), 1u);
    ASSERT_EQ(lock.malformed.size(), 2u);
    EXPECT_EQ(lock.malformed[0], "line 2: \"seven bbbb\" is not \"version hash\"");
    EXPECT_EQ(lock.malformed[1], "line 3: \"3 cccc extra\" is not \"version hash\"");
}

}  // namespace
