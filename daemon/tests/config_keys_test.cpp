// A configuration whose map key is not text ("? [a, b]") is a ConfigError
// naming the file and line, from load_settings() as from
// parse_config_text(), never a yaml-cpp exception. Found by fuzz_config.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <peoplesync/error.hpp>

#include "settings.hpp"

namespace peoplesync::core {
namespace {

TEST(ConfigKeys, AKeyThatIsNotTextIsAConfigErrorWithItsPlace) {
    const auto dir = std::filesystem::temp_directory_path() / ("ps-config-keys-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "peoplesync.yaml";
    std::ofstream(file) << "state_database: s.db\n? [a, b]\n: 1\npipelines: []\n";
    try {
        load_settings(file);
        ADD_FAILURE() << "a list as a key loaded";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("peoplesync.yaml:2"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_config_text("? {a: 1}\n: 1\n", "t.yaml"), ConfigError);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peoplesync::core
