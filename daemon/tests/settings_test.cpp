#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "settings.hpp"

namespace peoplesync::core {
namespace {

class SettingsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("peoplesync-settings-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string error_of(const std::string& yaml) {
        std::ofstream(dir_ / "p.yaml") << yaml;
        try {
            load_settings(dir_ / "p.yaml");
        } catch (const ConfigError& e) {
            std::string message = e.what();
            auto at = message.find("p.yaml");
            return at == std::string::npos ? message : message.substr(at);
        }
        return "";
    }

    std::filesystem::path dir_;
};

const char* valid = R"(pipelines:
  - name: hr
    source: {type: csv, path: people.csv}
    sinks:
      - type: directory
        database: dir.db
)";

TEST_F(SettingsTest, ReadsAValidFileWithDefaults) {
    std::ofstream(dir_ / "p.yaml") << valid;
    Settings s = load_settings(dir_ / "p.yaml");
    ASSERT_EQ(s.pipelines.size(), 1u);
    const auto& p = s.pipelines[0];
    EXPECT_EQ(p.sync.mode, SyncMode::normal);
    EXPECT_EQ(p.sync.on_invalid, InvalidPolicy::reject);
    EXPECT_EQ(p.sync.guard.max_removals, 500);
    EXPECT_DOUBLE_EQ(p.sync.guard.max_removal_percent, 20);
    EXPECT_TRUE(p.sync.syncs("manager"));
    EXPECT_EQ(p.sinks[0].name, "directory");
    EXPECT_EQ(p.source.options.at("path").as_string(), "people.csv");
    EXPECT_EQ(s.state_database, dir_ / "peoplesync-state.db");  // relative to the file, not the working directory
    EXPECT_EQ(p.fingerprint.size(), 64u);
}

TEST_F(SettingsTest, FingerprintFollowsTheConfigurationAsWritten) {
    std::ofstream(dir_ / "p.yaml") << valid;
    auto first = load_settings(dir_ / "p.yaml").pipelines[0].fingerprint;
    std::ofstream(dir_ / "p.yaml") << "# a comment changes nothing\n" << valid;
    EXPECT_EQ(load_settings(dir_ / "p.yaml").pipelines[0].fingerprint, first);
    std::ofstream(dir_ / "p.yaml") << valid << "    sync: {mode: one_to_one}\n";
    EXPECT_NE(load_settings(dir_ / "p.yaml").pipelines[0].fingerprint, first);
    // Every value counts, in every map: the source's path, a sink's database.
    std::string moved = valid;
    moved.replace(moved.find("people.csv"), 10, "other.csv");
    std::ofstream(dir_ / "p.yaml") << moved;
    EXPECT_NE(load_settings(dir_ / "p.yaml").pipelines[0].fingerprint, first);
    std::string other_db = valid;
    other_db.replace(other_db.find("dir.db"), 6, "two.db");
    std::ofstream(dir_ / "p.yaml") << other_db;
    EXPECT_NE(load_settings(dir_ / "p.yaml").pipelines[0].fingerprint, first);
}

TEST_F(SettingsTest, RefusesBadConfigurationsWithFileLineAndKey) {
    EXPECT_EQ(
        error_of("pipelines:\n  - name: hr\n    source: {type: csv}\n    sinks: [{type: directory}]\n    mdoe: x\n"),
        "p.yaml:5:11: pipelines[0].mdoe: unknown option \"mdoe\" (known options: name, source, sinks, sync, schedule, "
        "full_resync_every_secs)");
    EXPECT_EQ(error_of(std::string(valid) + "    sync: {mode: mirror}\n"),
              "p.yaml:7:18: pipelines[0].sync.mode: \"mirror\" is not one of: normal, one_to_one");
    EXPECT_EQ(error_of(std::string(valid) + "    sync: {fields: [job_title, salary]}\n"),
              "p.yaml:7:32: pipelines[0].sync.fields[1]: unknown field \"salary\" (fields: hris_id, first_name, "
              "last_name, email, job_title, phone_number, employee_id, hire_date, profile_image, departments, active, "
              "manager)");
    EXPECT_EQ(error_of(std::string(valid) + "    sync: {guard: {max_removal_percent: 120}}\n"),
              "p.yaml:7:41: pipelines[0].sync.guard.max_removal_percent: 120 is out of range [0, 100]");
    EXPECT_EQ(error_of("pipelines:\n  - name: hr\n    source: {path: x}\n    sinks: [{type: directory}]\n"),
              "p.yaml:3:13: pipelines[0].source: missing required option \"type\"");
    EXPECT_EQ(error_of("pipelines:\n  - name: hr\n    source: {type: csv}\n    sinks: []\n"),
              "p.yaml:4:12: pipelines[0].sinks: a pipeline needs at least one sink");
    EXPECT_EQ(error_of(std::string(valid) + "  - name: hr\n    source: {type: csv}\n    sinks: [{type: directory}]\n"),
              "p.yaml:7:11: pipelines[1].name: a pipeline named \"hr\" already exists");
    EXPECT_EQ(error_of("pipelines: [\n"), "p.yaml:2:1: not valid YAML: end of sequence flow not found");
    EXPECT_EQ(error_of("pipelines:\n  - name: hr\n    name: again\n"),
              "p.yaml:3:5: pipelines[0].name: the key appears twice");
}

TEST_F(SettingsTest, AMissingFileIsAClearError) {
    EXPECT_THROW(load_settings(dir_ / "nope.yaml"), ConfigError);
}

}  // namespace
}  // namespace peoplesync::core
