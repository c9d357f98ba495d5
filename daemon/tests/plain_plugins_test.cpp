// Plugins that know nothing of change-only runs (fixtures/plain_source.cpp:
// read() only; fixtures/plain_sink.cpp: load_index(), fetch(), apply() only)
// run in a pipeline like any other, and the pipeline always reads
// everything. With the capabilities on both sides (the json-file fixture's
// RecordScanner, the directory's ChangeOnlyApplier) the core uses them.
#include <fstream>
#include <sstream>

#include <Poco/Data/SQLite/Connector.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline.hpp"
#include "report.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

using nlohmann::json;

class NoProgress final : public ProgressListener {};

std::string people_json(const std::string& title_of_b) {
    json users = json::array();
    for (const auto& [id, title] : std::vector<std::pair<std::string, std::string>>{
             {"A", "CEO"}, {"B", title_of_b}, {"C", "Engineer"}, {"D", "Engineer"}, {"E", "Seller"}})
        users.push_back({{"hris_id", id},
                         {"first_name", "First"},
                         {"last_name", "Last " + id},
                         {"email", id + "@example.com"},
                         {"active", true},
                         {"job_title", title}});
    return json({{"users", users}}).dump(2);
}

class PlainPluginsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-plain-plugins");
        Poco::Data::SQLite::Connector::registerConnector();
    }
    void TearDown() override {
        pipeline_.reset();
        state_.reset();
        std::filesystem::remove_all(dir_);
    }

    void configure(const std::string& source, const std::string& sink) {
        std::ofstream(dir_ / "peoplesync.yaml")
            << "plugin_dirs: [" << default_plugin_dir().string() << ", " << PEOPLESYNC_FIXTURE_PLUGIN_DIR << "/json, "
            << PEOPLESYNC_FIXTURE_PLUGIN_DIR << "/plain]\n"
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

    RunReport run(const std::string& title_of_b) {
        std::ofstream(dir_ / "people.json") << people_json(title_of_b);
        return pipeline_->run({}, progress_);
    }

    // The first run creates everyone; the second changes one title.
    void first_and_second_run(bool change_only_expected) {
        const RunReport first = run("Director");
        ASSERT_EQ(first.status, RunStatus::applied) << dump(first);
        EXPECT_EQ(first.changes().created, 5) << dump(first);
        EXPECT_EQ(first.changed_records, -1);
        const RunReport second = run("VP");
        ASSERT_EQ(second.status, RunStatus::applied) << dump(second);
        EXPECT_EQ(second.changes().updated, 1) << dump(second);
        EXPECT_EQ(second.changes().total(), 1) << dump(second);
        EXPECT_EQ(second.users, 5);
        EXPECT_EQ(second.changed_records, change_only_expected ? 1 : -1) << dump(second);
        EXPECT_EQ(report_json(second, false).contains("change_only"), change_only_expected) << dump(second);
    }

    static std::string dump(const RunReport& report) { return report_json(report, true).dump(2); }

    std::filesystem::path dir_;
    Settings settings_;
    std::unique_ptr<PluginHost> plugins_;
    std::unique_ptr<StateStore> state_;
    std::unique_ptr<Pipeline> pipeline_;
    NoProgress progress_;
};

TEST_F(PlainPluginsTest, ASourceWithReadOnlyRunsIntoTheDirectoryAndIsAlwaysReadWhole) {
    configure("{type: plain-json, path: people.json}", "{type: directory, database: directory.db}");
    first_and_second_run(false);
    // No digest: the same input again is read, diffed, and changes nothing.
    const RunReport again = run("VP");
    EXPECT_EQ(again.status, RunStatus::noop) << dump(again);
    EXPECT_EQ(again.unchanged_since_run, 0);
    EXPECT_EQ(again.changed_records, -1);
}

TEST_F(PlainPluginsTest, ASinkWithoutCapabilitiesTakesAScanningSourcesRunsWhole) {
    configure("{type: json-file, path: people.json, scans: true}", "{type: plain-list, path: list.json}");
    first_and_second_run(false);
    std::ifstream in(dir_ / "list.json");
    const json list = json::parse(in);
    ASSERT_EQ(list.size(), 5u);
    EXPECT_EQ(list.at(1).at("user").at("hris_id"), "B");
    EXPECT_EQ(list.at(1).at("user").at("job_title"), "VP");
    // Digest and state token: the same input into the same list is a no-op
    // without reading anything.
    const RunReport again = run("VP");
    EXPECT_EQ(again.status, RunStatus::noop) << dump(again);
    EXPECT_EQ(again.unchanged_since_run, again.run_id - 1) << dump(again);
}

TEST_F(PlainPluginsTest, WithTheCapabilitiesOnBothSidesTheSecondRunIsChangeOnly) {
    configure("{type: json-file, path: people.json, scans: true}", "{type: directory, database: directory.db}");
    first_and_second_run(true);
}

}  // namespace
}  // namespace peoplesync::core
