// A plugin's configuration as the host hands it over: a tree of scalars,
// lists and maps that remembers where every value was written, and the
// option table a plugin declares so the host can check it before the plugin
// sees it.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
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
// the table also renders `peoplesync plugins --options`, and with
// OptionTable it fills the settings struct, defaults included. Build rows
// with the functions in namespace option:
//   option::string("path", "The CSV file.").required()
//   option::integer("timeout_secs", "Connect timeout.").fallback("10").range(1, 600)
struct OptionSpec {
    enum class Type { string, integer, number, boolean, list, map, any };
    std::string name;
    Type type = Type::string;
    std::string description;
    bool is_required = false;
    std::string default_value;            // as it would be written in YAML; empty for none
    bool default_is_description = false;  // default_value says what happens; it is not a value
    std::int64_t min = INT64_MIN;         // for integers and numbers
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
    // For a default no single value can say ("the build's plugin folder"):
    // shown in listings; the code that reads the option applies it.
    OptionSpec& fallback_described(std::string text) {
        default_value = std::move(text);
        default_is_description = true;
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

// The value an option stands for when the configuration leaves it out (or
// writes it without a value): its fallback, as if written at `section`'s
// place. Null when the option has none, or when its default is a
// description (OptionSpec::fallback_described).
ConfigValue default_of(const OptionSpec& spec, const ConfigValue& section);

// A plugin's (or the daemon's) option table, each row bound to what it fills
// in a settings struct, in the way of Fluent Bit's config maps: the table
// is the one place that names an option, its type, its default and its
// description, and reading a configuration is one call:
//
//   const OptionTable<MySettings>& my_options() {
//       static const OptionTable<MySettings> table = {
//           {option::integer("timeout_secs", "Connect timeout.").fallback("10").range(1, 600),
//            &MySettings::timeout_secs},
//           {option::string("mode", "fast or safe.").fallback("safe").one_of({"fast", "safe"}),
//            [](MySettings& s, const ConfigValue& v) { s.fast = v.text() == "fast"; }},
//           {option::map("columns", "Read by the plugin's own code.")},
//       };
//       return table;
//   }
//   MySettings settings = my_options().read(config);
//
// A row bound to a member fills it with the value's type: std::string,
// bool, an integer type, double, or std::vector<std::string>. A row bound
// to a function gets the value (the fallback when the option is left out)
// and can fail() it. A row bound to nothing is read by the plugin's code and
// may not have a fallback, which would then be written twice.
template <typename Settings>
class OptionTable {
public:
    using Assign = std::function<void(Settings&, const ConfigValue&)>;

    struct Row {
        Row(OptionSpec option) : spec(std::move(option)) {}  // NOLINT: a row of a braced table
        Row(OptionSpec option, Assign fill) : spec(std::move(option)), assign(std::move(fill)) {}
        template <typename Member>
        Row(OptionSpec option, Member Settings::*member)
            : spec(std::move(option)), assign([member](Settings& settings, const ConfigValue& value) {
                  settings.*member = OptionTable::convert<Member>(value);
              }) {}

        OptionSpec spec;
        Assign assign;  // empty: read by the plugin's code
    };

    OptionTable(std::initializer_list<Row> rows) : rows_(rows) {
        for (const auto& row : rows_) {
            if (!row.assign && !row.spec.default_value.empty() && !row.spec.default_is_description)
                throw std::logic_error("option \"" + row.spec.name +
                                       "\" has a fallback but fills nothing: bind it to what it fills");
            specs_.push_back(row.spec);
        }
    }

    const std::vector<OptionSpec>& specs() const { return specs_; }

    // Checks `config` (a map, or null for all defaults) with check_options,
    // then fills every bound row from its value or its fallback.
    void read(const ConfigValue& config, Settings& settings) const {
        check_options(config, specs_);
        for (const auto& row : rows_) {
            if (!row.assign) continue;
            const ConfigValue* value = config.find(row.spec.name);
            if (value != nullptr && !value->is_null()) {
                row.assign(settings, *value);
            } else {
                ConfigValue fallback = default_of(row.spec, config);
                if (!fallback.is_null()) row.assign(settings, fallback);
            }
        }
    }
    Settings read(const ConfigValue& config) const {
        Settings settings{};
        read(config, settings);
        return settings;
    }

private:
    template <typename Member>
    static Member convert(const ConfigValue& value) {
        if constexpr (std::is_same_v<Member, std::string>)
            return value.as_string();
        else if constexpr (std::is_same_v<Member, bool>)
            return value.as_bool();
        else if constexpr (std::is_integral_v<Member>)
            return static_cast<Member>(value.as_integer());
        else if constexpr (std::is_floating_point_v<Member>)
            return static_cast<Member>(value.as_number());
        else if constexpr (std::is_same_v<Member, std::vector<std::string>>)
            return value.as_string_list();
        else
            static_assert(sizeof(Member) == 0, "bind this option to a function that converts its value");
    }

    std::vector<Row> rows_;
    std::vector<OptionSpec> specs_;
};

}  // namespace peoplesync
