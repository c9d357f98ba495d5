// A pipeline into a webhook sink takes the unchanged-input short cut: the
// sink's state token names the outbox message whose state it diffs against,
// so an unchanged export after a delivery reads and sends nothing, while a
// dropped message makes the next run read and send again.
#include "delivery_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

TEST_F(DeliveryTest, AnUnchangedExportAfterADeliveryIsANoopWithoutReadingIt) {
    ScriptedReceiver receiver;
    configure_a(receiver.url());
    write_csv("1,Ada,Lovelace,ada@example.com,Engineer,true\n2,Bob,Marley,bob@example.com,Singer,true\n");
    auto run = [&] {
        Output ran = cli_a({"run", "people", "--json"}, "k");
        EXPECT_EQ(ran.status, 0) << ran.err;
        return json::parse(ran.out, nullptr, false);
    };
    ASSERT_EQ(cli_a({"enable", "people"}, "k").status, 0);
    json first = run();
    EXPECT_EQ(first["status"], "applied") << first.dump(2);
    ASSERT_EQ(receiver.received().size(), 1u);

    // Delivered, the state is still that message's: the short cut holds.
    json second = run();
    EXPECT_EQ(second["status"], "noop") << second.dump(2);
    EXPECT_EQ(second.value("unchanged_since_run", 0), first["run"]) << second.dump(2);
    EXPECT_EQ(receiver.received().size(), 1u);

    // A change is sent; the same export again is not.
    write_csv("1,Ada,Lovelace,ada@example.com,Mathematician,true\n2,Bob,Marley,bob@example.com,Singer,true\n");
    json third = run();
    EXPECT_EQ(third["status"], "applied") << third.dump(2);
    json fourth = run();
    EXPECT_EQ(fourth.value("unchanged_since_run", 0), third["run"]) << fourth.dump(2);
    ASSERT_EQ(receiver.received().size(), 2u);
    EXPECT_EQ(json::parse(receiver.received().back().body)["users"][0]["job_title"], "Mathematician");
}

}  // namespace
}  // namespace peoplesync::daemon_test
