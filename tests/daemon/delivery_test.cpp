// The sending side end to end: daemon A (csv source -> webhook sink) posts
// to daemon B (webhook source -> directory sink), both real peoplesyncd
// processes on 127.0.0.1. B stops and starts, answers with a wrong key; a
// scripted receiver in the test answers 500, 429 and never at all. Nothing A
// queued is lost, and B ends up holding the latest CSV.
#include "delivery_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

TEST_F(DeliveryTest, DeliveriesWaitWhileTheReceiverIsDownAndArriveInOrderWhenItIsBack) {
    configure_a(endpoint_url_);
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n2,Bob,Marley,bob@example.com,Singer,true\n");
    start_a(key_);
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);

    // B is down: both runs queue a delivery that waits.
    stop();
    EXPECT_EQ(run_a()["status"], "applied");
    write_csv(
        "1,Ada,Lovelace,ada@example.com,Mathematician,true\n2,Bob,Marley,bob@example.com,Singer,true\n"
        "3,Cy,Young,cy@example.com,Pitcher,true\n");
    EXPECT_EQ(run_a()["status"], "applied");
    json sink = wait_for_outbox(
        [](const json& s) { return s["pending"] == 2 && s["messages"][0]["failed_attempts"].get<int>() >= 1; });
    EXPECT_EQ(sink["state"], "delivering");
    EXPECT_NE(sink["messages"][0]["last_result"].get<std::string>().find("127.0.0.1"), std::string::npos)
        << sink.dump(2);

    // A restarts meanwhile: nothing queued is lost.
    stop_a();
    start_a(key_);
    EXPECT_EQ(outbox_a()[0]["pending"], 2);

    // B is back (same port): both arrive, in order, and B holds the latest CSV.
    restart_b();
    sink = wait_for_outbox([](const json& s) { return s["pending"] == 0 && s["delivered"] == 2; });
    EXPECT_EQ(sink["state"], "idle");
    json requests = admin("GET", "/requests").parsed();
    ASSERT_EQ(requests.size(), 2u) << requests.dump(2);
    wait_for_b("cy@example.com", "Pitcher");
    EXPECT_EQ(b_job_title("ada@example.com"), "Mathematician");
    EXPECT_EQ(b_job_title("cy@example.com"), "Pitcher");
    EXPECT_EQ(b_job_title("bob@example.com"), "Singer");

    // Nothing changed: nothing is sent.
    EXPECT_EQ(run_a()["status"], "noop");
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(admin("GET", "/requests").parsed().size(), 2u);
    // The key never shows in A's log.
    EXPECT_EQ(read_text(a_dir_ / "daemon.log").find(key_), std::string::npos);
}

TEST_F(DeliveryTest, AWrongKeyStopsDeliveryKeepsTheMessageAndSaysWhy) {
    configure_a(endpoint_url_);
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    start_a("0000000000000000000000000000000000000000");
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);
    EXPECT_EQ(run_a()["status"], "applied");

    json sink = wait_for_outbox([](const json& s) { return s["state"] == "stopped"; });
    EXPECT_EQ(sink["pending"], 1);
    const std::string why = sink["stopped"];
    EXPECT_NE(why.find("401"), std::string::npos) << why;
    // A further run cannot queue behind a refused message; it fails and says so.
    write_csv("1,Ada,Lovelace,ada@example.com,Mathematician,true\n");
    json failed = run_a();
    EXPECT_EQ(failed["status"], "failed");
    EXPECT_NE(failed["message"].get<std::string>().find("stopped delivering"), std::string::npos) << failed.dump(2);
    Answer scraped = [&] {
        std::swap(port_, a_port_);
        Answer m = get("/metrics");
        std::swap(port_, a_port_);
        return m;
    }();
    EXPECT_NE(scraped.body.find("peoplesync_outbox_stopped{pipeline=\"people\",sink=\"b\"} 1"), std::string::npos)
        << scraped.body;
    EXPECT_NE(scraped.body.find("outcome=\"rejected\""), std::string::npos);
    EXPECT_TRUE(admin("GET", "/requests").parsed().empty()) << "B accepted a request with a wrong key";

    // The operator fixes the key and retries: the kept message goes through.
    stop_a();
    start_a(key_);
    EXPECT_EQ(admin_a("POST", "/pipelines/people/sinks/b/outbox/retry").status, 200);
    sink = wait_for_outbox([](const json& s) { return s["pending"] == 0 && s["delivered"] == 1; });
    wait_for_b("ada@example.com", "Engineer");
    // And the next run goes through too.
    EXPECT_EQ(run_a()["status"], "applied");
    wait_for_outbox([](const json& s) { return s["delivered"] == 2; });
    wait_for_b("ada@example.com", "Mathematician");
}

TEST_F(DeliveryTest, ServerErrorsRateLimitsAndSilenceAreRetriedUntilAcknowledged) {
    ScriptedReceiver receiver;
    receiver.script({{500}, {429, "1"}, {0, "", true}, {503}, {200}});
    configure_a(receiver.url());
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    start_a("the-key");
    ASSERT_EQ(admin_a("POST", "/pipelines/people/enable").status, 200);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(run_a()["status"], "applied");

    json sink = wait_for_outbox([](const json& s) { return s["delivered"] == 1; }, 20s);
    EXPECT_EQ(sink["pending"], 0);
    auto got = receiver.received();
    // The five scripted answers, in order; on a loaded machine an answer can
    // miss A's 1-second timeout and the same message goes again, as it must.
    ASSERT_GE(got.size(), 5u);
    EXPECT_EQ(got[4].answered, 200);
    for (const auto& r : got) {
        EXPECT_EQ(r.body, got[0].body) << "every attempt sends the same message";
        EXPECT_EQ(r.message_id, got[0].message_id) << "a receiver de-duplicates by webhook-id";
        EXPECT_EQ(r.key, "the-key");
    }
    EXPECT_EQ(json::parse(got[0].body)["users"][0]["job_title"], "Engineer");
    // Retry-After: 1 was honoured: at least a second between the 429 and the next attempt.
    EXPECT_GE(std::chrono::steady_clock::now() - started, 1s);
    // The delivery is logged once it is recorded: a moment after the outbox shows it.
    std::string log = read_text(a_dir_ / "daemon.log");
    for (const auto until = std::chrono::steady_clock::now() + 5s;
         log.find("delivered") == std::string::npos && std::chrono::steady_clock::now() < until;
         log = read_text(a_dir_ / "daemon.log"))
        std::this_thread::sleep_for(20ms);
    EXPECT_NE(log.find("HTTP 500"), std::string::npos) << log;
    EXPECT_NE(log.find("429"), std::string::npos);
    EXPECT_NE(log.find("delivered"), std::string::npos);
}

TEST_F(DeliveryTest, TheCliShowsRetriesAndDropsTheOutbox) {
    ScriptedReceiver receiver;
    receiver.script({{400}});
    configure_a(receiver.url());
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n");
    // No daemon A: the CLI runs, queues and tries once itself.
    auto cli_a = [&](std::vector<std::string> args) { return DeliveryTest::cli_a(std::move(args), "k"); };
    ASSERT_EQ(cli_a({"enable", "people"}).status, 0);
    Output ran = cli_a({"run", "people"});
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_NE(ran.out.find("STOPPED"), std::string::npos) << ran.out;
    EXPECT_NE(ran.out.find("400"), std::string::npos) << ran.out;

    Output listed = cli_a({"outbox"});
    EXPECT_NE(listed.out.find("people/b: stopped, 1 waiting"), std::string::npos) << listed.out;

    receiver.script({{200}});
    Output retried = cli_a({"outbox", "retry", "people", "b"});
    EXPECT_EQ(retried.status, 0) << retried.out << retried.err;
    EXPECT_NE(retried.out.find("delivered"), std::string::npos) << retried.out;
    EXPECT_EQ(receiver.received().size(), 2u);

    // A refused message dropped: the next run sends the whole organisation again.
    receiver.script({{422}});
    write_csv("1,Ada,Lovelace,ada@example.com,Mathematician,true\n");
    EXPECT_EQ(cli_a({"run", "people"}).status, 0);
    Output dropped = cli_a({"outbox", "drop", "people", "b"});
    EXPECT_NE(dropped.out.find("dropped 1"), std::string::npos) << dropped.out;
    Output empty = cli_a({"outbox", "--json"});
    EXPECT_EQ(json::parse(empty.out)["sinks"][0]["pending"], 0);
    EXPECT_EQ(json::parse(empty.out)["sinks"][0]["state"], "idle");
    receiver.script({{200}});
    Output again = cli_a({"run", "people"});
    EXPECT_NE(again.out.find("delivered"), std::string::npos) << again.out << again.err;
    EXPECT_EQ(json::parse(receiver.received().back().body)["users"][0]["job_title"], "Mathematician");
}

TEST_F(DeliveryTest, TheShippedSenderSendsTheSampleCsvToB) {
    // The README's walkthrough: etc/webhook-sender.yaml with B's endpoint and key.
    const Poco::Process::Env env = {{"PEOPLESYNC_VAR", (a_dir_ / "var").string()},
                                    {"PEOPLESYNC_WEBHOOK_URL", endpoint_url_},
                                    {"PEOPLESYNC_WEBHOOK_KEY", key_}};
    auto sender = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", PEOPLESYNC_SOURCE_DIR "/etc/webhook-sender.yaml"});
        return run_program(PEOPLESYNC_CLI, args, a_dir_, env);
    };
    ASSERT_EQ(sender({"enable", "csv-to-webhook"}).status, 0);
    Output ran = sender({"run", "csv-to-webhook"});
    ASSERT_EQ(ran.status, 0) << ran.out << ran.err;
    EXPECT_NE(ran.out.find("delivered"), std::string::npos) << ran.out;
    wait_for_b("margaret.okafor@example.com", "Chief Executive Officer");
    Output again = sender({"run", "csv-to-webhook"});
    EXPECT_NE(again.out.find("noop"), std::string::npos) << again.out;
    EXPECT_EQ(admin("GET", "/requests").parsed().size(), 1u) << "an unchanged CSV sent something";
}

}  // namespace
}  // namespace peoplesync::daemon_test
