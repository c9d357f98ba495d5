// A live pipeline whose configuration changes goes back to test mode, and
// once a process has seen the change, going back to the enabled
// configuration does not make it live again: it needs enable, as the
// guide's webhook does after any update.
#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const std::string pipeline =
    "  - name: export\n"
    "    source: {type: csv, path: people.csv}\n"
    "    sinks:\n"
    "      - {type: directory, database: var/export-directory.db}\n";
const std::string changed = "    sync: {on_invalid: skip}\n";

class ConfigurationChangeTest : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        std::ofstream(dir_ / "people.csv") << "hris_id,first_name,last_name,email,active\n"
                                           << "1,Ada,Lovelace,ada@example.com,true\n";
        write_config(pipeline);
    }

    // The mode `peoplesync status` shows for the pipeline.
    std::string status_line() {
        Output out = cli({"status"});
        EXPECT_EQ(out.status, 0) << out.err;
        std::istringstream lines(out.out);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind("export ", 0) == 0) return line;
        ADD_FAILURE() << out.out;
        return "";
    }

    std::string run_status() {
        Output out = cli({"run", "export", "--json"});
        json report = json::parse(out.out, nullptr, false);
        EXPECT_TRUE(report.is_object()) << out.out << out.err;
        return report.is_object() ? report.value("status", "") : "";
    }
};

TEST_F(ConfigurationChangeTest, GoingBackToTheEnabledConfigurationAfterAChangeWasSeenStaysInTestMode) {
    ASSERT_EQ(cli({"enable", "export"}).status, 0);
    EXPECT_NE(status_line().find(" live "), std::string::npos);
    write_config(pipeline + changed);
    EXPECT_NE(status_line().find(" test (configuration changed since it was enabled)"), std::string::npos);
    write_config(pipeline);  // back as it was enabled
    EXPECT_NE(status_line().find(" test (configuration changed since it was enabled)"), std::string::npos);
    EXPECT_EQ(run_status(), "simulated");
    ASSERT_EQ(cli({"enable", "export"}).status, 0);
    EXPECT_NE(status_line().find(" live "), std::string::npos);
    EXPECT_EQ(run_status(), "applied");
}

// Nothing read the configuration while it was changed: nothing can know.
TEST_F(ConfigurationChangeTest, AChangeNobodySawBeforeItWasUndoneLeavesThePipelineLive) {
    ASSERT_EQ(cli({"enable", "export"}).status, 0);
    write_config(pipeline + changed);
    write_config(pipeline);
    EXPECT_NE(status_line().find(" live "), std::string::npos);
}

// The daemon keeps the configuration it loaded until it reloads: a change
// the CLI saw meanwhile does not stop its live runs; the reload does.
TEST_F(ConfigurationChangeTest, TheDaemonSeesTheChangeWhenItReloads) {
    start();
    ASSERT_EQ(cli({"enable", "export"}).status, 0);
    EXPECT_EQ(admin("GET", "/pipelines/export").parsed()["mode"], "live");
    write_config(pipeline + changed);
    EXPECT_NE(status_line().find(" test "), std::string::npos);
    EXPECT_EQ(admin("GET", "/pipelines/export").parsed()["mode"], "live");
    write_config(pipeline);
    signal(SIGHUP);
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (log_text().find("configuration reloaded") == std::string::npos && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(20ms);
    ASSERT_NE(log_text().find("configuration reloaded"), std::string::npos) << log_text();
    EXPECT_EQ(admin("GET", "/pipelines/export").parsed()["mode"], "test");
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
