// Every parsing file of the public JSONTestSuite (tests/data/JSONTestSuite)
// through the real webhook endpoint: whatever the body, the answer is never
// a 5xx, a body JSON must reject (n_) is never accepted, and the request is
// never left "received" (a state only a restart would resolve).
#include <algorithm>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

class WebhookJsonSuiteTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        start();
        make_credentials();
    }
};

std::vector<std::filesystem::path> suite_files() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry :
         std::filesystem::directory_iterator(PEOPLESYNC_SOURCE_DIR "/tests/data/JSONTestSuite/test_parsing"))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

TEST_F(WebhookJsonSuiteTest, NoFileGetsA5xxNoMalformedOneIsAcceptedNoneStaysReceived) {
    const auto files = suite_files();
    ASSERT_EQ(files.size(), 318u) << "the suite's test_parsing folder is not complete";
    std::size_t refused = 0;
    for (const auto& file : files) {
        const std::string name = file.filename().string();
        SCOPED_TRACE(name);
        const Answer answer = post_snapshot(read_text(file));
        ASSERT_GE(answer.status, 200) << "no answer: " << answer.body;
        EXPECT_LT(answer.status, 500) << answer.body;
        if (name.rfind("n_", 0) == 0) {
            EXPECT_NE(answer.status, 202) << "malformed JSON was accepted";
        }
        const json body = answer.parsed();
        ASSERT_TRUE(body.is_object()) << "the answer is not JSON: " << answer.body;
        if (answer.status == 400) {
            ++refused;
            EXPECT_FALSE(body.value("error", "").empty()) << answer.body;
        }
        ASSERT_TRUE(body.contains("request_id")) << answer.body;
        const json logged = request_record(body["request_id"]);
        EXPECT_NE(logged.value("status", ""), "received") << logged.dump();
        EXPECT_EQ(logged.value("status", "") == "rejected", answer.status == 400) << logged.dump();
    }
    // None of the files is a snapshot of users: each is refused.
    EXPECT_EQ(refused, files.size());
}

}  // namespace
}  // namespace peoplesync::daemon_test
