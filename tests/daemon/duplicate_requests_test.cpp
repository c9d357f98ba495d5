// The webhook source's de-duplication against the real daemon over HTTP: a
// copy of a message the pipeline accepted (same webhook-id, same body) is
// answered 2xx, logged as a duplicate and never run; anything else runs.
#include <thread>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const char* ada = R"({"users": [{"hris_id": "1", "first_name": "Ada", "last_name": "Lovelace",
  "email": "ada@example.com", "active": true}]})";
const char* ada_and_bob = R"({"users": [{"hris_id": "1", "first_name": "Ada", "last_name": "Lovelace",
  "email": "ada@example.com", "active": true}, {"hris_id": "2", "first_name": "Bob", "last_name": "Marley",
  "email": "bob@example.com", "active": true}]})";

class DuplicateRequestsTest : public DaemonTest {
protected:
    // The fixture's configuration with `source_extra` in the webhook source's map.
    void configure(const std::string& source_extra, const std::string& extra_pipelines = "") {
        write_config(extra_pipelines);
        std::string text = read_text(config());
        const std::string source = "source: {type: webhook}";
        text.replace(text.find(source), source.size(), "source: {type: webhook" + source_extra + "}");
        std::ofstream(config()) << text;
    }

    void start_live() {
        start();
        make_credentials();
        ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
    }

    Answer post_message(const std::string& message_id, const std::string& body) {
        return http(
            "POST", endpoint_path_, body,
            {{"X-HRIS-AUTHENTICATION", key_}, {"Content-Type", "application/json"}, {"webhook-id", message_id}});
    }

    // The triggers of the pipeline's runs, oldest first.
    std::vector<std::string> run_triggers(const std::string& pipeline = "hris") {
        std::vector<std::string> out;
        for (const auto& run : admin("GET", "/runs?pipeline=" + pipeline).parsed())
            out.insert(out.begin(), run["trigger"]);
        return out;
    }
};

TEST_F(DuplicateRequestsTest, ACopyOfAnAcceptedMessageIsAnsweredAsADuplicateAndNotRunAgain) {
    configure("");
    start_live();
    Answer first = post_message("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ada);
    ASSERT_EQ(first.status, 202) << first.body;
    const std::string first_id = first.parsed()["request_id"];
    wait_for_request(first_id, {"applied"});

    // The sender lost the answer and sends the message again.
    Answer copy = post_message("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ada);
    ASSERT_EQ(copy.status, 200) << copy.body;
    const json answer = copy.parsed();
    EXPECT_EQ(answer["status"], "duplicate");
    EXPECT_EQ(answer["duplicate_of"], first_id);
    EXPECT_NE(answer.value("message", "").find("request " + first_id), std::string::npos) << copy.body;
    const std::string copy_id = answer["request_id"];
    EXPECT_NE(copy_id, first_id);
    const json logged = request_record(copy_id);
    EXPECT_EQ(logged["status"], "duplicate") << logged.dump(2);
    EXPECT_EQ(logged["message_id"], "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    EXPECT_TRUE(logged["run"].is_null());

    // A new message with the same body runs: the worker reaches it after anything queued before.
    Answer next = post_message("msg_2KWPBgLlAfxdpx2AI54pPJ85f4X", ada);
    ASSERT_EQ(next.status, 202) << next.body;
    const std::string next_id = next.parsed()["request_id"];
    wait_for_request(next_id, {"applied"});
    EXPECT_EQ(run_triggers(), (std::vector<std::string>{"request " + first_id, "request " + next_id}));
    EXPECT_EQ(request_record(copy_id)["status"], "duplicate");

    Output listed = cli({"requests"});
    EXPECT_NE(listed.out.find("duplicate of request " + first_id), std::string::npos) << listed.out;
    EXPECT_NE(get("/metrics").body.find("peoplesync_push_requests_total{pipeline=\"hris\",status=\"duplicate\"} 1"),
              std::string::npos);
}

// A snapshot of `count` users: large enough that its validation takes a while.
std::string many_users(int count) {
    json users = json::array();
    for (int i = 1; i <= count; ++i)
        users.push_back({{"hris_id", std::to_string(i)},
                         {"first_name", "First" + std::to_string(i)},
                         {"last_name", "Last"},
                         {"email", "user" + std::to_string(i) + "@example.com"},
                         {"active", true}});
    return json{{"users", users}}.dump();
}

TEST_F(DuplicateRequestsTest, TwoCopiesAtOnceRunOnce) {
    configure("");
    start_live();
    constexpr int copies = 6;
    const std::string body = many_users(2000);
    std::vector<Answer> answers(copies);
    {
        std::vector<std::thread> senders;
        for (int i = 0; i < copies; ++i)
            senders.emplace_back([&, i] { answers[i] = post_message("msg_concurrent", body); });
        for (auto& sender : senders) sender.join();
    }
    int accepted = 0, duplicates = 0;
    std::string accepted_id;
    for (const auto& a : answers) {
        if (a.status == 202) {
            ++accepted;
            accepted_id = a.parsed()["request_id"];
        }
        if (a.status == 200 && a.parsed()["status"] == "duplicate") ++duplicates;
    }
    ASSERT_EQ(accepted, 1);
    EXPECT_EQ(duplicates, copies - 1);
    for (const auto& a : answers) {
        if (a.status == 200) {
            EXPECT_EQ(a.parsed()["duplicate_of"], accepted_id) << a.body;
        }
    }
    wait_for_request(accepted_id, {"applied"});
    EXPECT_EQ(run_triggers(), std::vector<std::string>{"request " + accepted_id});
}

TEST_F(DuplicateRequestsTest, TheSameIdOnAnotherPipelineIsNotADuplicate) {
    configure("",
              "  - name: other\n"
              "    source: {type: webhook}\n"
              "    sinks:\n"
              "      - {type: directory, database: var/other.db}\n");
    start();
    make_credentials("other");
    const std::string other_key = key_, other_path = endpoint_path_;
    make_credentials("hris");

    Answer here = post_message("msg_shared", ada);
    EXPECT_EQ(here.status, 202) << here.body;
    Answer there = http(
        "POST", other_path, ada,
        {{"X-HRIS-AUTHENTICATION", other_key}, {"Content-Type", "application/json"}, {"webhook-id", "msg_shared"}});
    EXPECT_EQ(there.status, 202) << there.body;
    wait_for_request(there.parsed()["request_id"], {"simulated"});
    EXPECT_EQ(run_triggers("other").size(), 1u);
}

TEST_F(DuplicateRequestsTest, ACopyOutsideTheWindowRunsAgain) {
    configure(", dedupe_window_secs: 1");
    start_live();
    Answer first = post_message("msg_window", ada);
    const auto sent = std::chrono::steady_clock::now();
    ASSERT_EQ(first.status, 202) << first.body;
    wait_for_request(first.parsed()["request_id"], {"applied"});
    // The window is time itself: nothing to wait on but the clock.
    std::this_thread::sleep_until(sent + 1100ms);
    Answer late = post_message("msg_window", ada);
    EXPECT_EQ(late.status, 202) << late.body;
    wait_for_request(late.parsed()["request_id"], {"applied"});
    EXPECT_EQ(run_triggers().size(), 2u);
}

TEST_F(DuplicateRequestsTest, WithTheWindowAtZeroEveryCopyRuns) {
    configure(", dedupe_window_secs: 0");
    start_live();
    Answer first = post_message("msg_off", ada);
    ASSERT_EQ(first.status, 202) << first.body;
    Answer copy = post_message("msg_off", ada);
    EXPECT_EQ(copy.status, 202) << copy.body;
}

TEST_F(DuplicateRequestsTest, AMessageThatWasRefusedMayBeSentAgainWithItsId) {
    configure("");
    start_live();
    Answer refused = post_message("msg_fixed", R"({"users": [)");
    ASSERT_EQ(refused.status, 400) << refused.body;
    Answer corrected = post_message("msg_fixed", ada);
    EXPECT_EQ(corrected.status, 202) << corrected.body;
    wait_for_request(corrected.parsed()["request_id"], {"applied"});
}

TEST_F(DuplicateRequestsTest, AnotherBodyUnderTheSameIdIsNotACopyAndRuns) {
    configure("");
    start_live();
    Answer first = post_message("msg_reused", ada);
    ASSERT_EQ(first.status, 202) << first.body;
    wait_for_request(first.parsed()["request_id"], {"applied"});
    Answer other = post_message("msg_reused", ada_and_bob);
    EXPECT_EQ(other.status, 202) << other.body;
    wait_for_request(other.parsed()["request_id"], {"applied"});
    EXPECT_EQ(run_triggers().size(), 2u);
}

TEST_F(DuplicateRequestsTest, AWebhookIdThatIsNoIdIsRefusedAndSaysWhy) {
    configure("");
    start_live();
    Answer refused = post_message(std::string(300, 'x'), ada);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_NE(refused.parsed().value("error", "").find("webhook-id"), std::string::npos) << refused.body;
    EXPECT_EQ(request_record(refused.parsed()["request_id"])["status"], "rejected");
}

TEST_F(DuplicateRequestsTest, AnUnknownWindowIsAConfigurationError) {
    configure(", dedupe_window_secs: -1");
    Output checked = cli({"validate"});
    EXPECT_NE(checked.status, 0);
    EXPECT_NE(checked.err.find("dedupe_window_secs"), std::string::npos) << checked.out << checked.err;
}

}  // namespace
}  // namespace peoplesync::daemon_test
