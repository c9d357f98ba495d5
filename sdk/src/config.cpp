#include <peoplesync/config.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace peoplesync {

Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;
ConfigError::ConfigError(const std::string& message) : Error(message) {}
ConfigError::~ConfigError() = default;

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

std::string describe(ConfigValue::Kind kind) {
    switch (kind) {
        case ConfigValue::Kind::null:
            return "nothing";
        case ConfigValue::Kind::scalar:
            return "a single value";
        case ConfigValue::Kind::list:
            return "a list";
        case ConfigValue::Kind::map:
            return "a map";
    }
    return "?";
}

}  // namespace

ConfigValue ConfigValue::null(std::string path, ConfigMark mark) {
    ConfigValue value;
    value.path_ = std::move(path);
    value.mark_ = std::move(mark);
    return value;
}

ConfigValue ConfigValue::scalar(std::string text, std::string path, ConfigMark mark) {
    ConfigValue value;
    value.kind_ = Kind::scalar;
    value.text_ = std::move(text);
    value.path_ = std::move(path);
    value.mark_ = std::move(mark);
    return value;
}

ConfigValue ConfigValue::list(std::string path, ConfigMark mark) {
    ConfigValue value;
    value.kind_ = Kind::list;
    value.path_ = std::move(path);
    value.mark_ = std::move(mark);
    return value;
}

ConfigValue ConfigValue::map(std::string path, ConfigMark mark) {
    ConfigValue value;
    value.kind_ = Kind::map;
    value.path_ = std::move(path);
    value.mark_ = std::move(mark);
    return value;
}

std::string ConfigValue::where() const {
    std::string out;
    if (!mark_.file.empty()) {
        out = mark_.file;
        if (mark_.line > 0) {
            out += ':';
            out += std::to_string(mark_.line);
            out += ':';
            out += std::to_string(mark_.column);
        }
        out += ": ";
    }
    out += path_.empty() ? std::string("configuration") : path_;
    return out;
}

void ConfigValue::fail(const std::string& message) const {
    throw ConfigError(where() + ": " + message);
}

const std::string& ConfigValue::text() const {
    if (kind_ != Kind::scalar) fail("expected a single value, found " + describe(kind_));
    return text_;
}

std::string ConfigValue::as_string() const {
    return text();
}

std::int64_t ConfigValue::as_integer() const {
    const std::string& t = text();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec != std::errc() || end != t.data() + t.size()) fail("expected a whole number, found \"" + t + "\"");
    return value;
}

double ConfigValue::as_number() const {
    const std::string& t = text();
    try {
        std::size_t used = 0;
        double value = std::stod(t, &used);
        if (used == t.size() && std::isfinite(value)) return value;
    } catch (const std::exception&) {
    }
    fail("expected a number, found \"" + t + "\"");
}

bool ConfigValue::as_bool() const {
    const std::string& t = text();
    if (t == "true" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "no" || t == "off") return false;
    fail("expected true or false, found \"" + t + "\"");
}

const std::vector<ConfigValue>& ConfigValue::items() const {
    if (kind_ != Kind::list) fail("expected a list, found " + describe(kind_));
    return items_;
}

std::vector<std::string> ConfigValue::as_string_list() const {
    if (kind_ == Kind::scalar) return {text_};
    std::vector<std::string> out;
    for (const auto& item : items()) out.push_back(item.as_string());
    return out;
}

void ConfigValue::push_back(ConfigValue value) {
    if (kind_ != Kind::list) fail("expected a list, found " + describe(kind_));
    items_.push_back(std::move(value));
}

const std::vector<std::pair<std::string, ConfigValue>>& ConfigValue::entries() const {
    if (kind_ != Kind::map) fail("expected a map of keys to values, found " + describe(kind_));
    return entries_;
}

const ConfigValue* ConfigValue::find(std::string_view key) const {
    if (kind_ != Kind::map) return nullptr;
    for (const auto& [name, value] : entries_)
        if (name == key) return &value;
    return nullptr;
}

bool ConfigValue::has(std::string_view key) const {
    const ConfigValue* value = find(key);
    return value != nullptr && !value->is_null();
}

const ConfigValue& ConfigValue::at(std::string_view key) const {
    entries();  // fails unless a map
    const ConfigValue* value = find(key);
    if (value == nullptr || value->is_null()) fail("missing required option \"" + std::string(key) + "\"");
    return *value;
}

void ConfigValue::set(std::string key, ConfigValue value) {
    if (kind_ != Kind::map) fail("expected a map of keys to values, found " + describe(kind_));
    for (auto& [name, existing] : entries_)
        if (name == key) {
            existing = std::move(value);
            return;
        }
    entries_.emplace_back(std::move(key), std::move(value));
}

std::string ConfigValue::get_string(std::string_view key, std::string fallback) const {
    return has(key) ? at(key).as_string() : fallback;
}

std::int64_t ConfigValue::get_integer(std::string_view key, std::int64_t fallback) const {
    return has(key) ? at(key).as_integer() : fallback;
}

double ConfigValue::get_number(std::string_view key, double fallback) const {
    return has(key) ? at(key).as_number() : fallback;
}

bool ConfigValue::get_bool(std::string_view key, bool fallback) const {
    return has(key) ? at(key).as_bool() : fallback;
}

namespace option {
namespace {
OptionSpec make(std::string name, OptionSpec::Type type, std::string description) {
    OptionSpec spec;
    spec.name = std::move(name);
    spec.type = type;
    spec.description = std::move(description);
    return spec;
}
}  // namespace
OptionSpec string(std::string name, std::string description) {
    return make(std::move(name), OptionSpec::Type::string, std::move(description));
}
OptionSpec integer(std::string name, std::string description) {
    return make(std::move(name), OptionSpec::Type::integer, std::move(description));
}
OptionSpec number(std::string name, std::string description) {
    return make(std::move(name), OptionSpec::Type::number, std::move(description));
}
OptionSpec boolean(std::string name, std::string description) {
    return make(std::move(name), OptionSpec::Type::boolean, std::move(description));
}
OptionSpec list(std::string name, std::string description) {
    return make(std::move(name), OptionSpec::Type::list, std::move(description));
}
OptionSpec map(std::string name, std::string description) {
    return make(std::move(name), OptionSpec::Type::map, std::move(description));
}
OptionSpec any(std::string name, std::string description) {
    return make(std::move(name), OptionSpec::Type::any, std::move(description));
}
}  // namespace option

std::string_view to_string(OptionSpec::Type type) {
    switch (type) {
        case OptionSpec::Type::string:
            return "string";
        case OptionSpec::Type::integer:
            return "integer";
        case OptionSpec::Type::number:
            return "number";
        case OptionSpec::Type::boolean:
            return "boolean";
        case OptionSpec::Type::list:
            return "list";
        case OptionSpec::Type::map:
            return "map";
        case OptionSpec::Type::any:
            return "any";
    }
    return "?";
}

ConfigValue default_of(const OptionSpec& spec, const ConfigValue& section) {
    if (spec.default_value.empty() || spec.default_is_description) return {};
    const std::string path = section.path().empty() ? spec.name : section.path() + "." + spec.name;
    return ConfigValue::scalar(spec.default_value, path, section.mark());
}

void check_options(const ConfigValue& config, const std::vector<OptionSpec>& options) {
    if (config.is_null()) {
        for (const auto& option : options)
            if (option.is_required) config.fail("missing required option \"" + option.name + "\"");
        return;
    }
    for (const auto& [key, value] : config.entries()) {
        auto spec =
            std::find_if(options.begin(), options.end(), [&key = key](const OptionSpec& o) { return o.name == key; });
        if (spec == options.end()) {
            std::vector<std::string> names;
            for (const auto& option : options) names.push_back(option.name);
            value.fail("unknown option \"" + key + "\" (known options: " + join(names) + ")");
        }
        if (value.is_null()) continue;
        switch (spec->type) {
            case OptionSpec::Type::string:
                value.as_string();
                if (!spec->choices.empty() &&
                    std::find(spec->choices.begin(), spec->choices.end(), value.text()) == spec->choices.end()) {
                    value.fail("\"" + value.text() + "\" is not one of: " + join(spec->choices));
                }
                break;
            case OptionSpec::Type::integer: {
                auto n = value.as_integer();
                if (n < spec->min || n > spec->max)
                    value.fail(std::to_string(n) + " is out of range [" + std::to_string(spec->min) + ", " +
                               std::to_string(spec->max) + "]");
                break;
            }
            case OptionSpec::Type::number: {
                auto n = value.as_number();
                if (n < static_cast<double>(spec->min) || n > static_cast<double>(spec->max))
                    value.fail(value.text() + " is out of range [" + std::to_string(spec->min) + ", " +
                               std::to_string(spec->max) + "]");
                break;
            }
            case OptionSpec::Type::boolean:
                value.as_bool();
                break;
            case OptionSpec::Type::list:
                if (value.kind() != ConfigValue::Kind::scalar) value.items();
                break;
            case OptionSpec::Type::map:
                value.entries();
                break;
            case OptionSpec::Type::any:
                break;
        }
    }
    for (const auto& option : options)
        if (option.is_required && !config.has(option.name))
            config.fail("missing required option \"" + option.name + "\"");
}

}  // namespace peoplesync
