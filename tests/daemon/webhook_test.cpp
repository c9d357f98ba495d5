// The receiving side of the HRIS webhook guide against the real daemon over
// real HTTP: the guide's own curl command, every error answer, concurrent
// requests, test mode and going live.
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

// Two users, the second with a bad email and the third missing one: every
// finding is answered, each with its place.
const char* invalid_users = R"({"users": [
  {"hris_id": "1", "first_name": "Ada", "last_name": "L", "email": "ada@example.com", "active": true},
  {"hris_id": "2", "first_name": "Bob", "last_name": "M", "email": "bob@", "active": true},
  {"hris_id": "3", "first_name": "Cy", "last_name": "N", "active": true}]})";

class WebhookTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        start();
        make_credentials();
    }

    // A POST's head saying `content_length`, without its body: the whole answer.
    std::string head_alone(const std::string& content_length) {
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_));
        socket.setReceiveTimeout(Poco::Timespan(5, 0));
        const std::string head = "POST " + endpoint_path_ +
                                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-HRIS-AUTHENTICATION: " + key_ +
                                 "\r\nContent-Type: application/json\r\nContent-Length: " + content_length + "\r\n\r\n";
        socket.sendBytes(head.data(), static_cast<int>(head.size()));
        std::string answer;
        char buffer[4096];
        int n = 0;
        while ((n = socket.receiveBytes(buffer, sizeof buffer)) > 0) answer.append(buffer, static_cast<std::size_t>(n));
        return answer;
    }

    // Whether the directory holds the user, asked the way an operator would.
    bool in_directory(const std::string& user) {
        Output shown = cli({"directory", "--pipeline", "hris", "show", user});
        EXPECT_TRUE(shown.status == 0 || shown.status == 1) << shown.err;
        return shown.status == 0;
    }
};

TEST_F(WebhookTest, TheGuidesCurlCommandWithTheGuidesExampleIsLoggedAndSimulatedInTestMode) {
    // The guide's command word for word; only the key and the endpoint are ours.
    Output sent = run_program(
        "curl",
        {"--silent", "--show-error", "--header", "X-HRIS-AUTHENTICATION: " + key_, "--header",
         "Content-Type: application/json", "-X", "POST", "--data-binary", "@webhook-data-example.json", endpoint_url_},
        dir_);
    ASSERT_EQ(sent.status, 0) << sent.err;
    json answer = json::parse(sent.out);
    EXPECT_EQ(answer["mode"], "test");
    EXPECT_EQ(answer["status"], "validated");
    const std::string id = answer["request_id"];
    ASSERT_FALSE(id.empty());

    json record = wait_for_request(id, {"simulated"});
    EXPECT_EQ(record["mode"], "test");
    EXPECT_EQ(record["users"], 1);
    EXPECT_EQ(record["content_type"], "application/json");
    EXPECT_EQ(record["size"], std::filesystem::file_size(dir_ / "webhook-data-example.json"));
    // The simulation: what a live run would do, nothing of it done.
    const json& run = record["run_report"];
    EXPECT_EQ(run["status"], "simulated");
    EXPECT_EQ(run["changes"]["created"], 1);
    EXPECT_EQ(run["changes"]["departments_created"], 7);
    EXPECT_EQ(run["sinks"][0]["detail"]["created"][0]["email"], "john.doe@7geese.com");
    bool manager_warning = false;
    for (const auto& f : record["findings"]) manager_warning |= f["location"] == "users[0].manager";
    EXPECT_TRUE(manager_warning) << record["findings"].dump();
    EXPECT_FALSE(in_directory("john.doe@7geese.com")) << "test mode applied the request";

    // The log line per request names it, but never the key or the payload.
    const std::string log = log_text();
    EXPECT_NE(log.find("request " + id), std::string::npos);
    EXPECT_EQ(log.find(key_), std::string::npos);
    EXPECT_EQ(log.find("1FdzdQf35CffSd53"), std::string::npos);
    EXPECT_EQ(log.find(endpoint_path_), std::string::npos) << "the whole endpoint token is in the log";

    // The CLI shows the same, and simulates it again against the directory as it is now.
    Output listed = cli({"requests"});
    EXPECT_NE(listed.out.find("simulated"), std::string::npos) << listed.out;
    Output again = cli({"simulate", "--request", id, "--json"});
    ASSERT_EQ(again.status, 0) << again.err;
    EXPECT_EQ(json::parse(again.out)["changes"]["created"], 1);
}

TEST_F(WebhookTest, EnablingThenPostingAppliesTheSnapshot) {
    Answer enabled = admin("POST", "/pipelines/hris/enable");
    ASSERT_EQ(enabled.status, 200) << enabled.body;
    EXPECT_EQ(enabled.parsed()["mode"], "live");

    Answer posted = post_snapshot(read_text(dir_ / "webhook-data-example.json"));
    ASSERT_EQ(posted.status, 202) << posted.body;
    EXPECT_EQ(posted.parsed()["mode"], "live");
    json record = wait_for_request(posted.parsed()["request_id"], {"applied"});
    EXPECT_EQ(record["run_report"]["status"], "applied");
    Output shown = cli({"directory", "--pipeline", "hris", "show", "john.doe@7geese.com"});
    ASSERT_EQ(shown.status, 0) << shown.err;
    EXPECT_NE(shown.out.find("John Doe"), std::string::npos);
    EXPECT_NE(shown.out.find("Engineering > Mobile Team"), std::string::npos);

    // The same snapshot again: nothing to change.
    Answer again = post_snapshot(read_text(dir_ / "webhook-data-example.json"));
    json second = wait_for_request(again.parsed()["request_id"], {"applied"});
    EXPECT_EQ(second["run_report"]["status"], "noop");

    std::string metrics = get("/metrics").body;
    EXPECT_NE(metrics.find("peoplesync_changes_applied_total{pipeline=\"hris\",kind=\"created\"} 1"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("peoplesync_runs_total{pipeline=\"hris\",status=\"applied\"} 1"), std::string::npos);
    EXPECT_NE(metrics.find("peoplesync_http_requests_total{route=\"webhook\",code=\"202\"} 2"), std::string::npos);
    EXPECT_NE(metrics.find("peoplesync_last_success_timestamp_seconds{pipeline=\"hris\"}"), std::string::npos);
}

TEST_F(WebhookTest, ErrorsAreAnsweredAndNoneChangesTheDirectory) {
    // Live, so that a request let through by mistake would show in the directory.
    ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
    const std::string example = read_text(dir_ / "webhook-data-example.json");

    // 401: the same answer for a missing and a wrong key.
    Answer missing = http("POST", endpoint_path_, example, {{"Content-Type", "application/json"}});
    Answer wrong = http("POST", endpoint_path_, example,
                        {{"X-HRIS-AUTHENTICATION", std::string(40, 'f')}, {"Content-Type", "application/json"}});
    EXPECT_EQ(missing.status, 401);
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(missing.body, wrong.body);
    EXPECT_EQ(missing.parsed().count("request_id"), 0u) << "an unauthenticated request was logged";

    // 404: an endpoint nobody has.
    Answer unknown = http("POST", "/hriswebhook/sync/" + std::string(32, '0') + "/", example,
                          {{"X-HRIS-AUTHENTICATION", key_}, {"Content-Type", "application/json"}});
    EXPECT_EQ(unknown.status, 404) << unknown.body;

    // 405: the endpoint takes POST only.
    Answer got = http("GET", endpoint_path_, "", {{"X-HRIS-AUTHENTICATION", key_}});
    EXPECT_EQ(got.status, 405);
    EXPECT_EQ(got.headers["Allow"], "POST");

    // 415: not JSON. Logged (it was authenticated), refused.
    Answer csv = post_snapshot("hris_id,email\n1,a@example.com\n", "text/csv");
    EXPECT_EQ(csv.status, 415) << csv.body;
    EXPECT_EQ(csv.parsed()["mode"], "live");
    EXPECT_EQ(request_record(csv.parsed()["request_id"])["status"], "rejected");

    // 400: malformed JSON, with the byte where it breaks.
    Answer malformed = post_snapshot(R"({"users": [{"hris_id": "1",}]})");
    EXPECT_EQ(malformed.status, 400);
    EXPECT_NE(malformed.parsed()["error"].get<std::string>().find("malformed JSON at byte 28"), std::string::npos)
        << malformed.body;

    // 400: every finding with its location.
    Answer invalid = post_snapshot(invalid_users);
    EXPECT_EQ(invalid.status, 400) << invalid.body;
    const json refused = invalid.parsed();
    std::set<std::string> locations;
    for (const auto& f : refused["findings"])
        if (f["severity"] == "error") locations.insert(f["location"].get<std::string>());
    EXPECT_EQ(locations, (std::set<std::string>{"users[1].email", "users[2].email"})) << invalid.body;
    json logged = request_record(refused["request_id"]);
    EXPECT_EQ(logged["status"], "rejected");
    EXPECT_EQ(logged["findings"].size(), refused["findings"].size());

    EXPECT_FALSE(in_directory("ada@example.com"));
    EXPECT_FALSE(in_directory("john.doe@7geese.com"));
    EXPECT_EQ(admin("GET", "/runs?pipeline=hris").parsed().size(), 0u) << "an error started a run";
}

// 413 as soon as the headers say the body is too large: the answer comes
// before a byte of the body is sent.
TEST_F(WebhookTest, AnOversizedBodyIsRefusedBeforeItIsSent) {
    const std::string answer = head_alone("10000000000");
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
    EXPECT_NE(answer.find("max_body_bytes"), std::string::npos);
    EXPECT_NE(answer.find("Connection: Close"), std::string::npos);
}

// Within max_body_bytes but beyond the memory the machine has free: 413
// before the body is read, saying what it would need and what there is.
TEST_F(WebhookTest, ABodyLargerThanMemoryAllowsIsRefusedBeforeItIsSent) {
    stop();
    max_body_bytes_ = std::int64_t{1} << 60;
    write_config();
    start();
    const std::string answer = head_alone("100000000000000");
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
    EXPECT_NE(answer.find("the request body (100000000000000 bytes) needs about"), std::string::npos) << answer;
    EXPECT_NE(answer.find("MiB available"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("max_body_bytes"), std::string::npos) << answer;
    // The daemon is none the worse: the guide's example is taken.
    EXPECT_EQ(post_snapshot(read_text(dir_ / "webhook-data-example.json")).status, 202);
}

// Without a Content-Length (chunked), the limit is enforced while reading.
TEST_F(WebhookTest, AChunkedBodyIsCutOffAtTheLimit) {
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_));
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    const std::string head = "POST " + endpoint_path_ +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-HRIS-AUTHENTICATION: " + key_ +
                             "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    socket.sendBytes(head.data(), static_cast<int>(head.size()));
    const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
    std::size_t sent = 0;
    try {
        // 2 MiB against a limit of 1 MiB; the daemon stops reading on the way.
        for (int i = 0; i < 32; ++i)
            sent += static_cast<std::size_t>(socket.sendBytes(chunk.data(), static_cast<int>(chunk.size())));
    } catch (const Poco::Exception&) {
    }
    std::string answer;
    char buffer[4096];
    int n = 0;
    try {
        while ((n = socket.receiveBytes(buffer, sizeof buffer)) > 0) answer.append(buffer, static_cast<std::size_t>(n));
    } catch (const Poco::Exception&) {
    }
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer << " (sent " << sent << " bytes)";
}

// Two webhook pipelines share the guide's path; each endpoint token reaches its own.
using WebhookRoutingTest = DaemonTest;

TEST_F(WebhookRoutingTest, EachEndpointReachesItsPipeline) {
    write_config(
        "  - name: second\n    source: {type: webhook}\n"
        "    sinks: [{type: directory, database: var/second.db}]\n");
    start();
    make_credentials("hris");
    const std::string first_path = endpoint_path_, first_key = key_;
    make_credentials("second");
    const std::string example = read_text(dir_ / "webhook-data-example.json");
    Answer to_second = post_snapshot(example);
    ASSERT_EQ(to_second.status, 202) << to_second.body;
    EXPECT_EQ(request_record(to_second.parsed()["request_id"])["pipeline"], "second");
    Answer to_first =
        http("POST", first_path, example, {{"X-HRIS-AUTHENTICATION", first_key}, {"Content-Type", "application/json"}});
    ASSERT_EQ(to_first.status, 202) << to_first.body;
    EXPECT_EQ(request_record(to_first.parsed()["request_id"])["pipeline"], "hris");
    // One pipeline's key does not open the other's endpoint.
    Answer crossed =
        http("POST", first_path, example, {{"X-HRIS-AUTHENTICATION", key_}, {"Content-Type", "application/json"}});
    EXPECT_EQ(crossed.status, 401);
    stop();
}

TEST_F(WebhookTest, TwoRequestsAtOnceAreBothLoggedAndProcessed) {
    const std::string example = read_text(dir_ / "webhook-data-example.json");
    Answer first, second;
    std::thread a([&] { first = post_snapshot(example); });
    std::thread b([&] { second = post_snapshot(invalid_users); });
    a.join();
    b.join();
    EXPECT_EQ(first.status, 202) << first.body;
    EXPECT_EQ(second.status, 400) << second.body;
    Answer third_answer;
    std::thread c([&] { third_answer = post_snapshot(example); });
    Answer fourth_answer = post_snapshot(example);
    c.join();
    ASSERT_EQ(third_answer.status, 202);
    ASSERT_EQ(fourth_answer.status, 202);
    std::set<std::string> ids = {first.parsed()["request_id"], second.parsed()["request_id"],
                                 third_answer.parsed()["request_id"], fourth_answer.parsed()["request_id"]};
    EXPECT_EQ(ids.size(), 4u);
    for (const auto& id :
         {first.parsed()["request_id"], third_answer.parsed()["request_id"], fourth_answer.parsed()["request_id"]})
        wait_for_request(id, {"simulated"});
    EXPECT_EQ(admin("GET", "/requests?pipeline=hris").parsed().size(), 4u);
}

}  // namespace
}  // namespace peoplesync::daemon_test
