// The webhook endpoint on bodies that are not a snapshot: each is a 400 that
// says where and what, logged and marked rejected like any refused request,
// never a 5xx (a 503 tells the HRIS to send it again, for ever) and never a
// request left "received".
#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

using namespace std::string_literals;

class WebhookInputTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        start();
        make_credentials();
    }

    // Posts `body`, expects a 400 whose error holds `expected`, and the
    // request logged as rejected with the same reason.
    void expect_refused(const std::string& body, const std::string& expected) {
        Answer answer = post_snapshot(body);
        ASSERT_EQ(answer.status, 400) << answer.body;
        const json refused = answer.parsed();
        const std::string error = refused.value("error", "");
        EXPECT_NE(error.find(expected), std::string::npos) << answer.body;
        ASSERT_TRUE(refused.contains("request_id")) << "the refused request was not logged: " << answer.body;
        const json logged = request_record(refused["request_id"]);
        EXPECT_EQ(logged["status"], "rejected") << logged.dump();
        EXPECT_EQ(logged.value("message", ""), error);
        EXPECT_EQ(logged["size"], body.size());
    }

    std::string example() { return read_text(dir_ / "webhook-data-example.json"); }
};

TEST_F(WebhookInputTest, AnEmptyBodyIsRefusedAndLogged) {
    expect_refused("", "the body is empty");
    // Only white space is as empty.
    expect_refused("\r\n", "the body is empty");
}

TEST_F(WebhookInputTest, ANumberNoDoubleHoldsIsRefusedAndLogged) {
    std::string in_a_user = example();
    in_a_user.replace(in_a_user.find("\"E123556\""), 9, "1e400");
    expect_refused(in_a_user, "number overflow parsing '1e400'");

    std::string top_level = example();
    top_level.insert(top_level.find('{') + 1, "\"generated\": 1e999,");
    expect_refused(top_level, "malformed JSON at byte 19: number overflow parsing '1e999'");
}

TEST_F(WebhookInputTest, BytesAfterThePayloadAreRefusedAfterANulToo) {
    const std::string body = example();
    expect_refused(body + "x", "malformed JSON at byte " + std::to_string(body.size() + 1));
    expect_refused(body + "\0"s, "malformed JSON at byte " + std::to_string(body.size() + 1));
    expect_refused(body + "\0{\"users\": []}"s, "malformed JSON at byte " + std::to_string(body.size() + 1));
}

TEST_F(WebhookInputTest, AUserThatIsNotAnObjectIsOneError) {
    Answer answer = post_snapshot(R"({"users": [1]})");
    ASSERT_EQ(answer.status, 400) << answer.body;
    const json findings = answer.parsed()["findings"];
    ASSERT_EQ(findings.size(), 1u) << answer.body;
    EXPECT_EQ(findings[0]["location"], "users[0]");
    EXPECT_EQ(findings[0]["message"], "expected a user object, found a number");
    EXPECT_EQ(answer.parsed()["error"], "expected a user object, found a number");
}

}  // namespace
}  // namespace peoplesync::daemon_test
