#include <gtest/gtest.h>

#include <peoplesync/config.hpp>

#include "environment.hpp"
#include "settings.hpp"

namespace peoplesync {
namespace {

std::vector<OptionSpec> table() {
    return {option::string("path", "A file.").required(),
            option::integer("timeout_secs", "Seconds.").fallback("10").range(1, 60),
            option::string("mode", "How.").one_of({"fast", "safe"}), option::boolean("verbose", "Talk."),
            option::map("columns", "Mapping.")};
}

std::string error_of(const std::string& yaml) {
    try {
        check_options(core::parse_config_text(yaml, "plugin.yaml"), table());
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(Options, AcceptsAValidConfiguration) {
    EXPECT_EQ(error_of("path: a.csv\ntimeout_secs: 5\nmode: safe\nverbose: true\ncolumns: {email: Mail}\n"), "");
}

TEST(Options, RejectsUnknownKeysWithTheirPlace) {
    EXPECT_EQ(
        error_of("path: a.csv\npaht: b.csv\n"),
        "plugin.yaml:2:7: paht: unknown option \"paht\" (known options: path, timeout_secs, mode, verbose, columns)");
}

TEST(Options, RejectsMissingRequiredOptions) {
    EXPECT_NE(error_of("mode: fast\n").find("missing required option \"path\""), std::string::npos);
}

TEST(Options, ChecksTypesRangesAndChoices) {
    EXPECT_EQ(error_of("path: a\ntimeout_secs: soon\n"),
              "plugin.yaml:2:15: timeout_secs: expected a whole number, found \"soon\"");
    EXPECT_EQ(error_of("path: a\ntimeout_secs: 600\n"), "plugin.yaml:2:15: timeout_secs: 600 is out of range [1, 60]");
    EXPECT_EQ(error_of("path: a\nmode: quick\n"), "plugin.yaml:2:7: mode: \"quick\" is not one of: fast, safe");
    EXPECT_EQ(error_of("path: a\nverbose: maybe\n"),
              "plugin.yaml:2:10: verbose: expected true or false, found \"maybe\"");
    EXPECT_EQ(error_of("path: a\ncolumns: [a, b]\n"),
              "plugin.yaml:2:10: columns: expected a map of keys to values, found a list");
    EXPECT_EQ(error_of("path: [a]\n"), "plugin.yaml:1:7: path: expected a single value, found a list");
}

TEST(Options, EnvironmentVariablesAreSubstituted) {
    peoplesync::testing::set_env("PEOPLESYNC_TEST_VALUE", "from-env");
    ConfigValue v =
        core::parse_config_text("path: ${PEOPLESYNC_TEST_VALUE}/x\nother: ${PEOPLESYNC_UNSET_VALUE:-fallback}\n");
    EXPECT_EQ(v.at("path").as_string(), "from-env/x");
    EXPECT_EQ(v.at("other").as_string(), "fallback");
    try {
        core::parse_config_text("path: ${PEOPLESYNC_UNSET_VALUE}\n", "p.yaml");
        FAIL() << "an unset variable was accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "p.yaml:1:7: path: environment variable PEOPLESYNC_UNSET_VALUE is not set");
    }
}

}  // namespace
}  // namespace peoplesync
