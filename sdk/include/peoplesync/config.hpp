// A plugin's configuration as the host hands it over: a tree of scalars,
// lists and maps that remembers where every value was written, and the
// option table a plugin declares so the host can check it before the plugin
// sees it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/error.hpp>

namespace peoplesync {

struct ConfigMark {
    std::string file;
    int line = 0;    // 1-based, 0 when unknown
    int column = 0;  // 1-based
};

class ConfigValue {
public:
    enum class Kind { null, scalar, list, map };

    ConfigValue() = default;
    // A key written without a value ("email:"): null, but with its place.
    static ConfigValue null(std::string path, ConfigMark mark);
    static ConfigValue scalar(std::string text, std::string path = {}, ConfigMark mark = {});
    static ConfigValue list(std::string path = {}, ConfigMark mark = {});
    static ConfigValue map(std::string path = {}, ConfigMark mark = {});

    Kind kind() const { return kind_; }
    bool is_null() const { return kind_ == Kind::null; }
    const std::string& path() const { return path_; }  // "pipelines[0].source.columns"
    const ConfigMark& mark() const { return mark_; }
    // "file:line:column: path" — the prefix of every error about this value.
    std::string where() const;
    [[noreturn]] void fail(const std::string& message) const;

    // Scalars.
    const std::string& text() const;  // the scalar as written (after ${ENV})
    std::string as_string() const;
    std::int64_t as_integer() const;
    double as_number() const;
    bool as_bool() const;

    // Lists.
    const std::vector<ConfigValue>& items() const;
    std::vector<std::string> as_string_list() const;  // a scalar is a list of one
    void push_back(ConfigValue value);

    // Maps, in the order written.
    const std::vector<std::pair<std::string, ConfigValue>>& entries() const;
    bool has(std::string_view key) const;
    const ConfigValue* find(std::string_view key) const;
    const ConfigValue& at(std::string_view key) const;  // fails with "missing required option"
    void set(std::string key, ConfigValue value);

    // Typed access with defaults for optional keys.
    std::string get_string(std::string_view key, std::string fallback = {}) const;
    std::int64_t get_integer(std::string_view key, std::int64_t fallback) const;
    double get_number(std::string_view key, double fallback) const;
    bool get_bool(std::string_view key, bool fallback) const;

private:
    Kind kind_ = Kind::null;
    std::string text_;
    std::string path_;
    ConfigMark mark_;
    std::vector<ConfigValue> items_;
    std::vector<std::pair<std::string, ConfigValue>> entries_;
};

// One row of a plugin's option table. The host rejects keys that are not in
// the table and values of the wrong type before the plugin is constructed;
// the table also renders `peoplesync plugins --options`. Build rows with the
// functions in namespace option:
//   option::string("path", "The CSV file.").required()
//   option::integer("timeout_secs", "Connect timeout.").fallback("10").range(1, 600)
struct OptionSpec {
    enum class Type { string, integer, number, boolean, list, map, any };
    std::string name;
    Type type = Type::string;
    std::string description;
    bool is_required = false;
    std::string default_value;     // as it would be written in YAML; empty for none
    std::int64_t min = INT64_MIN;  // for integers and numbers
    std::int64_t max = INT64_MAX;
    std::vector<std::string> choices;  // for strings: the allowed values

    OptionSpec& required() {
        is_required = true;
        return *this;
    }
    OptionSpec& fallback(std::string value) {
        default_value = std::move(value);
        return *this;
    }
    OptionSpec& range(std::int64_t low, std::int64_t high) {
        min = low;
        max = high;
        return *this;
    }
    OptionSpec& one_of(std::vector<std::string> values) {
        choices = std::move(values);
        return *this;
    }
};

namespace option {
OptionSpec string(std::string name, std::string description);
OptionSpec integer(std::string name, std::string description);
OptionSpec number(std::string name, std::string description);
OptionSpec boolean(std::string name, std::string description);
OptionSpec list(std::string name, std::string description);
OptionSpec map(std::string name, std::string description);
OptionSpec any(std::string name, std::string description);
}  // namespace option

std::string_view to_string(OptionSpec::Type type);

// Checks `config` (a map) against `options`: unknown keys, required keys,
// types, ranges and choices. Throws ConfigError for the first problem.
void check_options(const ConfigValue& config, const std::vector<OptionSpec>& options);

}  // namespace peoplesync
