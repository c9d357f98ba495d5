// How the built-in plugins read options the SDK's OptionTable leaves to
// them: a secret from the environment variable an *_env option names, and
// a failure placed at one key of a map.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include <peoplesync/config.hpp>

namespace peoplesync::options {

inline bool is_env_name(std::string_view text) {
    if (text.empty() || (text[0] >= '0' && text[0] <= '9')) return false;
    for (char c : text)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

// The value of the environment variable `option` names; never empty.
// `holds` says what it must hold ("the signing secret (whsec_...)"), and
// `example` is a name to show when the option holds something else.
inline std::string from_environment(const ConfigValue& option, const std::string& holds, const std::string& example) {
    const std::string& name = option.text();
    if (!is_env_name(name))
        option.fail("give the name of an environment variable (letters, digits and _, e.g. " + example +
                    ") that holds " + holds + ", not the value itself");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) option.fail("the environment variable " + name + " is not set; it must hold " + holds);
    if (*value == '\0') option.fail("the environment variable " + name + " is empty; it must hold " + holds);
    return value;
}

// Fails at `key` of `map`. An entry written without a value has no place of
// its own, so the map's place and the key stand in for it.
[[noreturn]] inline void fail_at(const ConfigValue& map, const std::string& key, const ConfigValue& value,
                                 const std::string& message) {
    if (!value.is_null()) value.fail(message);
    ConfigValue::scalar("", map.path().empty() ? key : map.path() + "." + key, map.mark()).fail(message);
}

}  // namespace peoplesync::options
