// The YAML configuration: parse_config_text() (YAML, ${ENV} and
// ${ENV:-fallback} expansion) and every typed read of the values it gives,
// then load_settings() on the same text as a file (the top level, http,
// admin, log and every pipeline's settings checked). Bad input is a
// ConfigError (an Error) naming where; nothing else may escape.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <peoplesync/config.hpp>

#include "fuzz_support.hpp"
#include "settings.hpp"

using namespace peoplesync;

namespace {

// Every accessor a plugin may call on a value, each a clean error at worst.
void read_every_way(const ConfigValue& value, int depth) {
    auto quietly = [](auto&& read) {
        try {
            read();
        } catch (const Error&) {
        }
    };
    quietly([&] { (void)value.where(); });
    quietly([&] { (void)value.as_string(); });
    quietly([&] { (void)value.as_integer(); });
    quietly([&] { (void)value.as_number(); });
    quietly([&] { (void)value.as_bool(); });
    quietly([&] { (void)value.as_string_list(); });
    if (depth > 64) return;
    if (value.kind() == ConfigValue::Kind::list)
        for (const ConfigValue& item : value.items()) read_every_way(item, depth + 1);
    if (value.kind() == ConfigValue::Kind::map)
        for (const auto& [key, item] : value.entries()) {
            fuzz::check(value.find(key) != nullptr, "a map does not find its own key \"" + key + "\"");
            read_every_way(item, depth + 1);
        }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    setenv("PSFUZZ_SET", "set-value", 1);
    setenv("PSFUZZ_PORT", "8080", 1);
    setenv("PSFUZZ_EMPTY", "", 1);
    unsetenv("PSFUZZ_UNSET");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fuzz::bytes(data, size));
    try {
        read_every_way(core::parse_config_text(text, "fuzz.yaml"), 0);
    } catch (const Error&) {
    }

    const std::filesystem::path file = fuzz::written_file("peoplesync.yaml", text);
    try {
        const core::Settings settings = core::load_settings(file);
        for (const core::PipelineSettings& pipeline : settings.pipelines)
            fuzz::check(&settings.pipeline(pipeline.name) == &pipeline,
                        "pipeline \"" + pipeline.name + "\" is found as another");
    } catch (const Error&) {
    }
    return 0;
}
