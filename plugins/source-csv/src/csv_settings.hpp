// The csv source's configuration, checked and typed. Building it does no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <peoplesync/config.hpp>
#include <peoplesync/fields.hpp>
#include <peoplesync/plugin.hpp>

#include "text.hpp"

namespace peoplesync::csv {

// The schema fields a column can feed: every field of the SDK's table.
using Field = FieldId;
using peoplesync::field_count;
std::string_view name_of(Field f);
// hris_id, first_name, last_name, email: the file must have a column for them.
bool is_required(Field f);

enum class ManagerBy { hris_id, employee_id, email };
std::string_view to_string(ManagerBy by);

// Raw cell value → what it stands for. Keys match case-insensitively.
class ValueMap {
public:
    struct Entry {
        std::string key;   // trimmed, as written
        std::string text;  // what it stands for, for text fields
        bool flag = true;  // what it stands for, for active
    };

    // Adds an entry; false when the key is already there.
    bool add(Entry entry);
    const Entry* find(std::string_view raw) const;
    bool empty() const { return entries_.empty(); }
    const std::vector<Entry>& entries() const { return entries_; }
    // The keys for a message: the first few, and how many there are.
    std::string describe_keys() const;

private:
    // Most maps are a handful of statuses: a scan beats hashing them.
    static constexpr std::size_t scan_up_to = 8;
    std::vector<Entry> entries_;
    std::unordered_map<std::string, std::size_t, FoldedHash, FoldedEqual> index_;  // beyond scan_up_to
};

// Filled by parse_settings() through csv_options(), where the defaults are.
struct CsvSettings {
    std::string path;  // absolute; may hold a wildcard in the file name
    bool is_glob = false;
    char delimiter = 0;
    std::int64_t header_line = 0;
    std::array<std::string, field_count> columns;  // the header named for each field, empty when not mapped
    std::array<ValueMap, field_count> values;
    std::string department_separator;
    std::string department_level_separator;  // empty: the file already uses ">"
    ManagerBy manager_by = ManagerBy::hris_id;

    const std::string& column(Field f) const { return columns[static_cast<std::size_t>(f)]; }
    const ValueMap& value_map(Field f) const { return values[static_cast<std::size_t>(f)]; }
};

const OptionTable<CsvSettings>& csv_options();

// Checks what the option table cannot: the delimiter, field names in
// columns and values, value map targets. Throws ConfigError at the place of
// the offending value.
CsvSettings parse_settings(const ConfigValue& config, Host& host);

// True when `name` matches `pattern`, where * matches any run of characters
// and ? any one character (bytes, not UTF-8 characters).
bool matches_wildcard(std::string_view pattern, std::string_view name);

}  // namespace peoplesync::csv
