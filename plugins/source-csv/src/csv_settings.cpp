#include "csv_settings.hpp"

#include <filesystem>

#include "option_values.hpp"

namespace peoplesync::csv {

using options::fail_at;

namespace {

std::string known_fields() {
    std::string out;
    for (const FieldSpec& spec : field_specs) {
        if (!out.empty()) out += ", ";
        out += spec.name;
    }
    return out;
}

bool has_wildcard(std::string_view text) {
    return text.find_first_of("*?") != std::string_view::npos;
}

char parse_delimiter(const ConfigValue& value) {
    const std::string& text = value.text();
    if (text.size() == 1 && text[0] != '"' && text[0] != '\n' && text[0] != '\r' &&
        static_cast<unsigned char>(text[0]) < 0x80)
        return text[0];
    if (text == "\\t" || equal_folded(text, "tab")) return '\t';
    if (text.size() == 1) value.fail("a quote or a line break cannot separate fields");
    value.fail("the delimiter is one character (or \"tab\"), found \"" + text + "\"");
}

ValueMap parse_value_map(Field f, const ConfigValue& map) {
    ValueMap out;
    if (map.kind() != ConfigValue::Kind::map)
        map.fail("expected a map of values as they appear in the file to what they mean, e.g. {Active: true}");
    for (const auto& [raw_key, target] : map.entries()) {
        if (target.is_null()) fail_at(map, raw_key, target, "give the value \"" + raw_key + "\" stands for");
        ValueMap::Entry entry{std::string(trim_blanks(raw_key)), {}, true};
        if (f == Field::active)
            entry.flag = target.as_bool();
        else
            entry.text = std::string(trim_blanks(target.as_string()));
        if (!out.add(std::move(entry)))
            fail_at(map, raw_key, target, "\"" + raw_key + "\" appears twice (values match case-insensitively)");
    }
    if (out.empty()) map.fail("the value map is empty");
    return out;
}

}  // namespace

bool ValueMap::add(Entry entry) {
    if (find(entry.key) != nullptr) return false;
    entries_.push_back(std::move(entry));
    if (entries_.size() > scan_up_to) {
        if (index_.empty())
            for (std::size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].key, i);
        else
            index_.emplace(entries_.back().key, entries_.size() - 1);
    }
    return true;
}

const ValueMap::Entry* ValueMap::find(std::string_view raw) const {
    if (!index_.empty()) {
        auto hit = index_.find(raw);
        return hit == index_.end() ? nullptr : &entries_[hit->second];
    }
    for (const auto& entry : entries_)
        if (equal_folded(entry.key, raw)) return &entry;
    return nullptr;
}

std::string ValueMap::describe_keys() const {
    constexpr std::size_t shown = 10;
    std::string out;
    for (std::size_t i = 0; i < entries_.size() && i < shown; ++i) {
        if (i > 0) out += ", ";
        out += entries_[i].key.empty() ? std::string("\"\"") : entries_[i].key;
    }
    if (entries_.size() > shown) out += ", … (" + std::to_string(entries_.size()) + " in all)";
    return out;
}

std::string_view name_of(Field f) {
    return spec_of(f).name;
}

bool is_required(Field f) {
    return spec_of(f).required();
}

std::string_view to_string(ManagerBy by) {
    switch (by) {
        case ManagerBy::hris_id:
            return "hris_id";
        case ManagerBy::employee_id:
            return "employee_id";
        case ManagerBy::email:
            return "email";
    }
    return "?";
}

const OptionTable<CsvSettings>& csv_options() {
    static const OptionTable<CsvSettings> table = {
        {option::string("path",
                        "The CSV file, or a pattern with * and ? in the file name (the newest match is read). "
                        "Relative to the configuration file.")
             .required()},
        {option::string("delimiter", "The character between fields: one character, or tab (also written \\t).")
             .fallback(","),
         [](CsvSettings& s, const ConfigValue& value) { s.delimiter = parse_delimiter(value); }},
        {option::integer("header_line", "The line that holds the column names; lines above it are skipped.")
             .fallback("1")
             .range(1, 1000000),
         &CsvSettings::header_line},
        {option::map("columns",
                     "Field → header of the column that feeds it. A field not named here is read from a column "
                     "whose header is the field's name, if there is one.")},
        {option::map("values",
                     "Field → {value in the file: value meant}. Booleans for active, text for other fields. "
                     "Values match after trimming, case-insensitively; a value not in the map is a record error.")},
        {option::string("department_separator", "Separates several departments in one cell.").fallback("|"),
         [](CsvSettings& s, const ConfigValue& value) {
             if (value.text().empty()) value.fail("the department separator is empty");
             s.department_separator = value.text();
         }},
        // After department_separator, which it must differ from.
        {option::string("department_level_separator",
                        "The separator the file uses between department levels (e.g. /); it becomes \" > \"."),
         [](CsvSettings& s, const ConfigValue& value) {
             if (value.text().empty()) value.fail("the department level separator is empty");
             if (value.text() == s.department_separator)
                 value.fail("the level separator is also the department separator (\"" + s.department_separator +
                            "\"); they must differ");
             s.department_level_separator = value.text();
         }},
        {option::string("manager_by", "What the manager column holds: the manager's hris_id, employee_id or email.")
             .fallback("hris_id")
             .one_of({"hris_id", "employee_id", "email"}),
         [](CsvSettings& s, const ConfigValue& value) {
             s.manager_by = value.text() == "employee_id" ? ManagerBy::employee_id
                            : value.text() == "email"     ? ManagerBy::email
                                                          : ManagerBy::hris_id;
         }},
    };
    return table;
}

CsvSettings parse_settings(const ConfigValue& config, Host& host) {
    CsvSettings s = csv_options().read(config);

    const ConfigValue& path = config.at("path");
    if (trim_blanks(path.text()).empty()) path.fail("the path is empty");
    std::filesystem::path resolved(host.resolve_path(path.text()));
    if (has_wildcard(resolved.parent_path().string()))
        path.fail("wildcards (* and ?) are allowed in the file name only, not in folder names");
    s.path = resolved.string();
    s.is_glob = has_wildcard(resolved.filename().string());

    if (const ConfigValue* columns = config.find("columns"); columns != nullptr && !columns->is_null()) {
        for (const auto& [key, value] : columns->entries()) {
            auto f = field_named(key);
            if (!f) fail_at(*columns, key, value, "\"" + key + "\" is not a field (fields: " + known_fields() + ")");
            if (value.is_null() || value.kind() != ConfigValue::Kind::scalar || trim_blanks(value.text()).empty())
                fail_at(*columns, key, value, "give the header of the column that holds " + key);
            s.columns[static_cast<std::size_t>(*f)] = std::string(trim_blanks(value.text()));
        }
    }

    if (const ConfigValue* values = config.find("values"); values != nullptr && !values->is_null()) {
        for (const auto& [key, value] : values->entries()) {
            auto f = field_named(key);
            if (!f) fail_at(*values, key, value, "\"" + key + "\" is not a field (fields: " + known_fields() + ")");
            if (value.is_null()) fail_at(*values, key, value, "the value map is empty");
            s.values[static_cast<std::size_t>(*f)] = parse_value_map(*f, value);
        }
    }

    return s;
}

bool matches_wildcard(std::string_view pattern, std::string_view name) {
    // Iterative matching with one backtrack point for the last *.
    std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
    while (n < name.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
            ++p;
            ++n;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace peoplesync::csv
