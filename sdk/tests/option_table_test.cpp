// OptionTable: one table names each option, its default and what it fills.
#include <gtest/gtest.h>

#include <peoplesync/config.hpp>

namespace {

using namespace peoplesync;

struct Settings {
    std::int64_t timeout_secs = 0;
    std::string mode;
    bool verify = false;
    double share = 0;
    std::vector<std::string> names;
    bool fast = false;
    std::string columns_read_by_code;
};

const OptionTable<Settings>& options() {
    static const OptionTable<Settings> table = {
        {option::integer("timeout_secs", "Connect timeout.").fallback("10").range(1, 600), &Settings::timeout_secs},
        {option::string("mode", "fast or safe.").fallback("safe").one_of({"fast", "safe"}),
         [](Settings& s, const ConfigValue& value) {
             s.mode = value.text();
             s.fast = value.text() == "fast";
         }},
        {option::boolean("verify", "Check it.").fallback("true"), &Settings::verify},
        {option::number("share", "A part.").fallback("0.5"), &Settings::share},
        {option::list("names", "Some names."), &Settings::names},
        {option::map("columns", "Read by the plugin's own code.")},
        {option::list("plugin_dirs", "Folders.").fallback_described("the build's plugin folder"),
         [](Settings& s, const ConfigValue& value) { s.names = value.as_string_list(); }},
    };
    return table;
}

ConfigValue config(std::initializer_list<std::pair<const char*, const char*>> entries) {
    ConfigValue map = ConfigValue::map("source", {"peoplesync.yaml", 3, 5});
    for (const auto& [key, text] : entries)
        map.set(key, ConfigValue::scalar(text, std::string("source.") + key, {"peoplesync.yaml", 4, 7}));
    return map;
}

TEST(OptionTable, FillsEveryBoundMemberFromTheTableWhenTheConfigurationIsEmpty) {
    const Settings s = options().read(config({}));
    EXPECT_EQ(s.timeout_secs, 10);
    EXPECT_EQ(s.mode, "safe");
    EXPECT_FALSE(s.fast);
    EXPECT_TRUE(s.verify);
    EXPECT_DOUBLE_EQ(s.share, 0.5);
    EXPECT_TRUE(s.names.empty()) << "a described default is shown, never applied";
}

TEST(OptionTable, ANullSectionIsAllDefaults) {
    EXPECT_EQ(options().read(ConfigValue()).timeout_secs, 10);
}

TEST(OptionTable, WrittenValuesWin) {
    const Settings s = options().read(config({{"timeout_secs", "30"}, {"mode", "fast"}, {"verify", "no"}}));
    EXPECT_EQ(s.timeout_secs, 30);
    EXPECT_TRUE(s.fast);
    EXPECT_FALSE(s.verify);
}

TEST(OptionTable, AKeyWrittenWithoutAValueTakesTheDefault) {
    ConfigValue map = config({});
    map.set("timeout_secs", ConfigValue::null("source.timeout_secs", {"peoplesync.yaml", 4, 7}));
    EXPECT_EQ(options().read(map).timeout_secs, 10);
}

TEST(OptionTable, ChecksTheConfigurationFirst) {
    try {
        options().read(config({{"timeout_secs", "0"}}));
        FAIL() << "0 is below the range";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "peoplesync.yaml:4:7: source.timeout_secs: 0 is out of range [1, 600]");
    }
    EXPECT_THROW(options().read(config({{"timeouts", "3"}})), ConfigError);
}

TEST(OptionTable, TheDefaultStandsAtTheSectionsPlace) {
    const ConfigValue section = config({});
    const ConfigValue fallback = default_of(options().specs()[0], section);
    EXPECT_EQ(fallback.text(), "10");
    EXPECT_EQ(fallback.where(), "peoplesync.yaml:3:5: source.timeout_secs");
    EXPECT_TRUE(default_of(options().specs()[4], section).is_null()) << "names has no default";
    EXPECT_TRUE(default_of(options().specs()[6], section).is_null()) << "plugin_dirs' default is a description";
}

TEST(OptionTable, ARowWithADefaultThatFillsNothingIsRefused) {
    auto build = [] {
        return OptionTable<Settings>{{option::integer("timeout_secs", "Connect timeout.").fallback("10")}};
    };
    EXPECT_THROW(build(), std::logic_error);
}

TEST(OptionTable, ListsItsOptionsInOrder) {
    ASSERT_EQ(options().specs().size(), 7u);
    EXPECT_EQ(options().specs()[0].name, "timeout_secs");
    EXPECT_EQ(options().specs()[0].default_value, "10");
    EXPECT_EQ(options().specs()[6].default_value, "the build's plugin folder");
    EXPECT_TRUE(options().specs()[6].default_is_description);
}

}  // namespace
