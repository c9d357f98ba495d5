// What the host guarantees whatever a plugin does: a plugin built with
// another standard library is refused before it is called, and whatever a
// plugin throws, from its constructor, read(), load_index() or apply(),
// becomes an error or a failed run with its message, never a crash.
#include <fstream>

#include <Poco/Data/SQLite/Connector.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "pipeline.hpp"
#include "state_store.hpp"
#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync::core {
namespace {

// As the loader names them: in the platform's spelling.
const std::filesystem::path fixtures = std::filesystem::path(PEOPLESYNC_FIXTURE_PLUGIN_DIR).make_preferred();

TEST(PluginSafety, RefusesAPluginBuiltWithAnotherStandardLibraryNamingBoth) {
    PluginHost host({fixtures / "foreign-stdlib"});
    ASSERT_EQ(host.refused().size(), 1u);
    const std::string reason = host.refused()[0].reason;
    EXPECT_NE(reason.find("fixture-foreign-stdlib" PEOPLESYNC_PLUGIN_SUFFIX), std::string::npos) << reason;
    EXPECT_NE(reason.find("built for ABI " + std::to_string(PEOPLESYNC_ABI_VERSION) + ", clang-17, libc++-17"),
              std::string::npos)
        << reason;
    EXPECT_NE(reason.find(std::string("needs ABI ") + std::to_string(PEOPLESYNC_ABI_VERSION) + ", " +
                          PEOPLESYNC_COMPILER + ", " + PEOPLESYNC_STDLIB),
              std::string::npos)
        << reason;
    EXPECT_TRUE(host.plugins().empty());
}

class PluginFailureTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-plugin-safety");
        Poco::Data::SQLite::Connector::registerConnector();
        std::ofstream(dir_ / "snapshot.json")
            << R"({"users": [{"hris_id": "1", "first_name": "Ada", "last_name": "Lovelace",)"
            << R"( "email": "ada@example.com", "active": true}]})";
    }
    void TearDown() override {
        pipeline_.reset();
        state_.reset();
        std::filesystem::remove_all(dir_);
    }

    // A live pipeline from `source` to `sink`, both flow-style YAML maps.
    void configure(const std::string& source, const std::string& sink) {
        std::ofstream(dir_ / "peoplesync.yaml")
            << "plugin_dirs: [" << default_plugin_dir().string() << ", " << (fixtures / "json").string() << ", "
            << (fixtures / "throwing").string() << "]\n"
            << "state_database: state.db\n"
            << "pipelines:\n"
            << "  - name: people\n"
            << "    source: " << source << "\n"
            << "    sinks:\n"
            << "      - " << sink << "\n";
        settings_ = load_settings(dir_ / "peoplesync.yaml");
        plugins_ = std::make_unique<PluginHost>(settings_.plugin_dirs);
        state_ = std::make_unique<StateStore>(settings_.state_database);
        pipeline_ = std::make_unique<Pipeline>(settings_, settings_.pipelines[0], *plugins_, *state_);
        pipeline_->enable();
    }

    RunReport run() {
        ProgressListener progress;
        RunReport report = pipeline_->run({}, progress);
        EXPECT_EQ(state_->run(report.run_id)->status, to_string(report.status)) << "the run record says what happened";
        return report;
    }

    const std::string json_source = "{type: json-file, path: snapshot.json}";
    const std::string directory_sink = "{type: directory, database: directory.db}";
    std::filesystem::path dir_;
    Settings settings_;
    std::unique_ptr<PluginHost> plugins_;
    std::unique_ptr<StateStore> state_;
    std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PluginFailureTest, AConstructorThatThrowsIsAnErrorWithItsMessageNamingThePipelineAndThePlugin) {
    try {
        configure("{type: throwing, throw_from: constructor, message: no API key for tenant 7}", directory_sink);
        FAIL() << "the pipeline was built";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "pipeline people: the source plugin \"throwing\" (" +
                      (fixtures / "throwing" / "fixture-throwing-source" PEOPLESYNC_PLUGIN_SUFFIX).string() +
                      ") could not be created: no API key for tenant 7");
    }
}

TEST_F(PluginFailureTest, AConstructorThatThrowsSomethingElseIsAnErrorNamingThePipelineAndThePlugin) {
    try {
        configure(json_source, "{type: throwing, throw_from: constructor, exception: other}");
        FAIL() << "the pipeline was built";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "pipeline people, sink throwing: the sink plugin \"throwing\" (" +
                      (fixtures / "throwing" / "fixture-throwing-sink" PEOPLESYNC_PLUGIN_SUFFIX).string() +
                      ") threw an exception that is not a std::exception while it was created");
    }
}

TEST_F(PluginFailureTest, AReadThatThrowsSomethingElseFailsTheRunNamingTheSource) {
    configure("{type: throwing, throw_from: read, exception: other}", directory_sink);
    RunReport report = run();
    EXPECT_EQ(report.status, RunStatus::failed);
    EXPECT_EQ(report.message, "source throwing threw an exception that is not a std::exception");
}

TEST_F(PluginFailureTest, ALoadIndexThatThrowsSomethingElseFailsTheRunNamingTheSink) {
    configure(json_source, "{type: throwing, throw_from: load_index, exception: other}");
    RunReport report = run();
    EXPECT_EQ(report.status, RunStatus::failed);
    EXPECT_EQ(report.message, "sink throwing threw an exception that is not a std::exception");
}

TEST_F(PluginFailureTest, AnApplyThatThrowsFailsTheRunWithItsMessage) {
    configure(json_source, "{type: throwing, throw_from: apply, message: LDAP server said no}");
    RunReport report = run();
    EXPECT_EQ(report.status, RunStatus::failed);
    EXPECT_EQ(report.message, "sink throwing: LDAP server said no");
    ASSERT_EQ(report.sinks.size(), 1u);
    EXPECT_EQ(report.sinks[0].status, SinkStatus::failed);
}

TEST_F(PluginFailureTest, AnApplyThatThrowsSomethingElseFailsTheRun) {
    configure(json_source, "{type: throwing, throw_from: apply, exception: other}");
    RunReport report = run();
    EXPECT_EQ(report.status, RunStatus::failed);
    EXPECT_EQ(report.message, "sink throwing: the sink threw an exception that is not a std::exception");
}

TEST_F(PluginFailureTest, ALoadIndexThatThrowsFailsTheRunWithItsMessage) {
    configure(json_source, "{type: throwing, throw_from: load_index, message: directory unreachable}");
    RunReport report = run();
    EXPECT_EQ(report.status, RunStatus::failed);
    EXPECT_EQ(report.message, "directory unreachable");
}

}  // namespace
}  // namespace peoplesync::core
