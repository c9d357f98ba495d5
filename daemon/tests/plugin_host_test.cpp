#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "plugin_host.hpp"
#include "settings.hpp"
#include "test_host.hpp"

namespace peoplesync::core {
namespace {

// As the loader names them: in the platform's spelling.
const std::filesystem::path fixtures = std::filesystem::path(PEOPLESYNC_FIXTURE_PLUGIN_DIR).make_preferred();

std::string refusal(const PluginHost& host) {
    std::string out;
    for (const auto& r : host.refused()) out += r.file.string() + ": " + r.reason + "\n";
    return out;
}

TEST(PluginHost, LoadsTheBuiltInPlugins) {
    PluginHost host({default_plugin_dir()});
    EXPECT_TRUE(host.refused().empty()) << refusal(host);
    const auto& directory = host.find(PluginKind::sink, "directory");
    EXPECT_EQ(directory.file.filename(), "peoplesync-sink-directory" PEOPLESYNC_PLUGIN_SUFFIX);
    EXPECT_FALSE(directory.options.empty());
}

TEST(PluginHost, RefusesAPluginBuiltForAnotherAbiNamingBothVersions) {
    PluginHost host({fixtures / "bad-abi"});
    ASSERT_EQ(host.refused().size(), 1u);
    const std::string reason = host.refused()[0].reason;
    EXPECT_NE(reason.find("fixture-bad-abi" PEOPLESYNC_PLUGIN_SUFFIX), std::string::npos) << reason;
    EXPECT_NE(reason.find("built for ABI " + std::to_string(PEOPLESYNC_ABI_VERSION + 998)), std::string::npos)
        << reason;
    EXPECT_NE(reason.find("needs ABI " + std::to_string(PEOPLESYNC_ABI_VERSION)), std::string::npos) << reason;
    EXPECT_TRUE(host.plugins().empty());
}

TEST(PluginHost, RefusesAFileThatIsNotAPlugin) {
    PluginHost host({fixtures / "not-a-plugin"});
    ASSERT_EQ(host.refused().size(), 1u);
    EXPECT_NE(host.refused()[0].reason.find("not a peoplesync plugin"), std::string::npos) << refusal(host);
}

TEST(PluginHost, RefusesAFileThatIsNotEvenALibrary) {
    auto dir = std::filesystem::temp_directory_path() / ("peoplesync-junk-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    { std::ofstream(dir / "junk" PEOPLESYNC_PLUGIN_SUFFIX) << "not an ELF file"; }
    PluginHost host({dir});
    ASSERT_EQ(host.refused().size(), 1u);
    EXPECT_EQ(host.refused()[0].reason, (dir / "junk" PEOPLESYNC_PLUGIN_SUFFIX).string() +
                                            ": not a shared library, so not a plugin (a plugin is a shared library "
                                            "built against the peoplesync SDK)");
    std::filesystem::remove_all(dir);
}

TEST(PluginHost, RefusesAPluginMissingItsDescription) {
    PluginHost host({fixtures / "no-info"});
    ASSERT_EQ(host.refused().size(), 1u);
    EXPECT_NE(host.refused()[0].reason.find("exports no peoplesync_plugin_info"), std::string::npos) << refusal(host);
}

TEST(PluginHost, RefusesTwoPluginsClaimingOneTypeAndNamesBoth) {
    PluginHost host({default_plugin_dir(), fixtures / "duplicate"});
    try {
        host.find(PluginKind::sink, "directory");
        FAIL() << "an ambiguous type was used";
    } catch (const Error& e) {
        std::string message = e.what();
        EXPECT_NE(message.find("peoplesync-sink-directory" PEOPLESYNC_PLUGIN_SUFFIX), std::string::npos) << message;
        EXPECT_NE(message.find("fixture-second-directory" PEOPLESYNC_PLUGIN_SUFFIX), std::string::npos) << message;
    }
}

TEST(PluginHost, NamesWhatIsAvailableWhenATypeIsMissing) {
    PluginHost host({default_plugin_dir()});
    try {
        host.find(PluginKind::source, "sftp");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no plugin provides source type \"sftp\""), std::string::npos) << e.what();
    }
}

TEST(PluginHost, ChecksOptionsBeforeConstructing) {
    PluginHost host({default_plugin_dir()});
    testing::TestHost services;
    try {
        host.make_sink("directory", parse_config_text("database: x.db\ndatbase: y.db\n", "p.yaml"), services);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("p.yaml:2:10: datbase: unknown option"), std::string::npos) << e.what();
    }
}

TEST(PluginHost, KeepsTheLibraryLoadedWhileItsObjectsLive) {
    std::shared_ptr<Sink> sink;
    auto dir = std::filesystem::temp_directory_path() / ("peoplesync-keep-" + std::to_string(::getpid()));
    testing::TestHost services(dir);
    {
        PluginHost host({default_plugin_dir()});
        sink = host.make_sink("directory", parse_config_text("database: directory.db\n"), services);
    }
    // The host is gone; the object's code must still be there.
    EXPECT_TRUE(sink->load_index().users.empty());
    sink.reset();
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peoplesync::core
