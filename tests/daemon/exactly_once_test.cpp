// Exactly once between two peoplesyncs: a sender that lost the receiver's
// 2xx (killed before it recorded it) sends the message again with the same
// webhook-id, and the receiver answers 2xx without running it again. For
// format events, whose receivers are not peoplesync, the id is checked at the
// HTTP level: the same on every attempt of a message, across a restart.
#include "delivery_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

class ExactlyOnceTest : public DeliveryTest {
protected:
    // A's state database as it is now, WAL included (no process holds it open).
    void save_a_state() {
        for (const char* name : {"state.db", "state.db-wal", "state.db-shm"}) {
            std::error_code ec;
            std::filesystem::remove(saved_ / name, ec);
            if (std::filesystem::exists(a_dir_ / "var" / name))
                std::filesystem::copy_file(a_dir_ / "var" / name, saved_ / name);
        }
    }
    void restore_a_state() {
        for (const char* name : {"state.db", "state.db-wal", "state.db-shm"}) {
            std::error_code ec;
            std::filesystem::remove(a_dir_ / "var" / name, ec);
            if (std::filesystem::exists(saved_ / name))
                std::filesystem::copy_file(saved_ / name, a_dir_ / "var" / name);
        }
    }

    void SetUp() override {
        DeliveryTest::SetUp();
        saved_ = dir_ / "saved";
        std::filesystem::create_directories(saved_);
    }

    std::filesystem::path saved_;
};

TEST_F(ExactlyOnceTest, AHrisSnapshotResentAfterALostAcknowledgementIsAppliedOnce) {
    configure_a(endpoint_url_);
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    ASSERT_EQ(cli_a({"enable", "people"}, key_).status, 0);

    // B is down: A's run queues the snapshot, and its one attempt fails.
    stop();
    Output ran = cli_a({"run", "people"}, key_);
    ASSERT_EQ(ran.status, 0) << ran.out << ran.err;
    json outbox = json::parse(cli_a({"outbox", "--json"}, key_).out);
    ASSERT_EQ(outbox["sinks"][0]["pending"], 1) << outbox.dump(2);
    const std::string message_id = outbox["sinks"][0]["messages"][0]["message_id"];
    ASSERT_FALSE(message_id.empty());
    save_a_state();

    // B is back and acknowledges it.
    restart_b();
    Output delivered = cli_a({"outbox", "deliver", "people"}, key_);
    EXPECT_NE(delivered.out.find("delivered (HTTP 202"), std::string::npos) << delivered.out << delivered.err;
    json requests = admin("GET", "/requests").parsed();
    ASSERT_EQ(requests.size(), 1u) << requests.dump(2);
    const std::string first = std::to_string(requests[0]["id"].get<std::int64_t>());
    wait_for_request(first, {"applied"});
    wait_for_b("ada@example.com", "Engineer");

    // A dies before it records the 2xx: its outbox still holds the message.
    restore_a_state();
    json again = json::parse(cli_a({"outbox", "--json"}, key_).out);
    ASSERT_EQ(again["sinks"][0]["pending"], 1);
    EXPECT_EQ(again["sinks"][0]["messages"][0]["message_id"], message_id);
    Output resent = cli_a({"outbox", "deliver", "people"}, key_);
    EXPECT_NE(resent.out.find("delivered (HTTP 200"), std::string::npos) << resent.out << resent.err;
    EXPECT_EQ(json::parse(cli_a({"outbox", "--json"}, key_).out)["sinks"][0]["pending"], 0);

    // B received it twice and ran it once.
    requests = admin("GET", "/requests").parsed();
    ASSERT_EQ(requests.size(), 2u) << requests.dump(2);
    const json& copy = requests[0];  // newest first
    EXPECT_EQ(copy["status"], "duplicate") << copy.dump(2);
    EXPECT_EQ(copy["message_id"], message_id);
    EXPECT_EQ(requests[1]["message_id"], message_id);
    EXPECT_NE(copy.value("message", "").find("request " + first), std::string::npos) << copy.dump(2);
    EXPECT_TRUE(copy["run"].is_null());
    json runs = admin("GET", "/runs?pipeline=hris").parsed();
    ASSERT_EQ(runs.size(), 1u) << runs.dump(2);
    EXPECT_EQ(runs[0]["trigger"], "request " + first);
}

TEST_F(ExactlyOnceTest, AnEventsMessageKeepsItsIdAcrossRetriesAndARestart) {
    ScriptedReceiver receiver;
    receiver.script(std::vector<ScriptedReceiver::Script>(50, {500}));
    configure_a(receiver.url(),
                "        format: events\n"
                "        signing_secret_env: A_SECRET\n"
                "        batch_size: 1\n");
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n2,Bob,Marley,bob@example.com,Singer,true\n");
    const Poco::Process::Env secret = {{"A_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}};
    start_a("the-key", secret);
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);
    EXPECT_EQ(run_a()["status"], "applied");
    // Two events in batches of one: two messages, the first retried.
    wait_for_outbox([](const json& s) { return s["pending"] == 2 && s["messages"][0]["failed_attempts"] >= 2; });
    stop_a();
    const std::size_t before_restart = receiver.received().size();
    ASSERT_GE(before_restart, 2u);

    receiver.script({});  // from now on: 200
    start_a("the-key", secret);
    wait_for_outbox([](const json& s) { return s["pending"] == 0 && s["delivered"] == 2; });

    const auto got = receiver.received();
    ASSERT_GE(got.size(), before_restart + 2);
    std::map<std::string, std::string> id_of_body;
    for (const auto& r : got) {
        EXPECT_FALSE(r.message_id.empty()) << r.body;
        EXPECT_FALSE(r.timestamp.empty());
        EXPECT_EQ(r.signature.rfind("v1,", 0), 0u) << r.signature;
        auto [known, fresh] = id_of_body.emplace(r.body, r.message_id);
        EXPECT_EQ(known->second, r.message_id) << "another webhook-id for the same message: " << r.body;
    }
    ASSERT_EQ(id_of_body.size(), 2u) << "two messages were sent";
    EXPECT_NE(id_of_body.begin()->second, std::next(id_of_body.begin())->second) << "two messages, one id";
    // The attempt after the restart repeats the id of those before it.
    EXPECT_EQ(got[before_restart].message_id, got[0].message_id);
    EXPECT_EQ(got[before_restart].body, got[0].body);
}

TEST_F(ExactlyOnceTest, AHrisMessageCarriesOneIdOnEveryAttempt) {
    ScriptedReceiver receiver;
    receiver.script({{503}, {503}});
    configure_a(receiver.url());
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    start_a("the-key");
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);
    EXPECT_EQ(run_a()["status"], "applied");
    wait_for_outbox([](const json& s) { return s["delivered"] == 1; });
    const auto got = receiver.received();
    ASSERT_EQ(got.size(), 3u);
    for (const auto& r : got) {
        EXPECT_FALSE(r.message_id.empty()) << "format hris sends no webhook-id";
        EXPECT_EQ(r.message_id, got[0].message_id);
    }
}

}  // namespace
}  // namespace peoplesync::daemon_test
