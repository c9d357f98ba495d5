// The 202 carries the warnings of a push, also the one about a manager who
// is neither in the snapshot nor in the destination: the HRIS engineer
// testing with curl sees it in the answer, and the run that follows says the
// same.
#include <set>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const std::string dangling_manager =
    R"(manager "E9923443" is neither in the snapshot nor in the destination; the manager stays unset)";

// "severity location: message" of each finding.
std::set<std::string> findings_of(const json& findings) {
    std::set<std::string> out;
    for (const auto& f : findings)
        out.insert(f.value("severity", "") + " " + f.value("location", "") + ": " + f.value("message", ""));
    return out;
}

std::string manager_user(const std::string& hris_id, const std::string& email) {
    return R"({"hris_id": ")" + hris_id + R"(", "first_name": "Mia", "last_name": "Manager", "email": ")" + email +
           R"(", "active": true})";
}

// The guide's example with more users beside John Doe.
std::string example_with(const std::string& example, const std::string& users) {
    std::string body = example;
    const auto end = body.rfind(']');
    body.insert(end, "," + users);
    return body;
}

class WebhookManagerWarningTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        write_config(config_extra());
        start();
        make_credentials();
    }
    virtual std::string config_extra() { return ""; }
    std::string example() { return read_text(dir_ / "webhook-data-example.json"); }

    // Posts, expects a 202, and checks that the request's findings, logged
    // when validated and after its run, are the answer's.
    json accepted(const std::string& body, const std::vector<std::string>& run_statuses) {
        Answer answer = post_snapshot(body);
        EXPECT_EQ(answer.status, 202) << answer.body;
        const json receipt = answer.parsed();
        const std::string id = receipt.value("request_id", "");
        const json ran = wait_for_request(id, run_statuses);
        EXPECT_EQ(findings_of(ran["findings"]), findings_of(receipt["findings"]))
            << "the run found otherwise than the answer said: " << ran["findings"].dump();
        return receipt;
    }
};

TEST_F(WebhookManagerWarningTest, TheGuidesExampleAnswersTheWarningItsRunGives) {
    const json receipt = accepted(example(), {"simulated"});
    EXPECT_EQ(findings_of(receipt["findings"]), std::set<std::string>{"warning users[0].manager: " + dangling_manager})
        << receipt.dump();
}

TEST_F(WebhookManagerWarningTest, AManagerInTheSnapshotIsNoWarning) {
    const json receipt = accepted(example_with(example(), manager_user("E9923443", "mia@7geese.com")), {"simulated"});
    EXPECT_TRUE(receipt["findings"].empty()) << receipt.dump();
}

class WebhookManagerInDirectoryTest : public WebhookManagerWarningTest {
    // The second push unsyncs the manager the first one created: all of them.
    std::string config_extra() override { return "    sync:\n      guard: {max_removal_percent: 100}\n"; }
};

TEST_F(WebhookManagerInDirectoryTest, AManagerOnlyTheDirectoryHoldsIsNoWarning) {
    ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
    accepted(R"({"users": [)" + manager_user("E9923443", "mia@7geese.com") + "]}", {"applied"});
    const json receipt = accepted(example(), {"applied"});
    EXPECT_TRUE(receipt["findings"].empty()) << receipt.dump();
}

class WebhookQuarantineManagerTest : public WebhookManagerWarningTest {
    std::string config_extra() override { return "    sync:\n      on_invalid: skip\n"; }
};

// A quarantined record is nobody's manager, in the answer as in the run.
TEST_F(WebhookQuarantineManagerTest, AnInvalidManagerIsNoManager) {
    const json receipt = accepted(example_with(example(), manager_user("E9923443", "mia@")), {"simulated"});
    EXPECT_EQ(findings_of(receipt["findings"]),
              (std::set<std::string>{"error users[1].email: \"mia@\" is not an email address",
                                     "warning users[0].manager: " + dangling_manager}))
        << receipt.dump();
}

}  // namespace
}  // namespace peoplesync::daemon_test
