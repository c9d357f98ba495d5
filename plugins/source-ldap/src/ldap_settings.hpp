// The ldap source's configuration, checked and typed. Building it does no
// I/O: the connection is opened by each read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/config.hpp>
#include <peoplesync/fields.hpp>
#include <peoplesync/plugin.hpp>

namespace peoplesync::ldap_source {

// The schema fields an attribute can feed: the SDK's table but `active`,
// which comes from active_attribute or a filter.
using Field = FieldId;
using peoplesync::field_count;
bool is_attribute_field(Field f);
std::string_view name_of(Field f);
// The attribute a field is read from when `attributes` does not say
// (inetOrgPerson); empty when the field is not read by default.
std::string_view default_attribute(Field f);

enum class Scope { base, one, sub };
std::string_view to_string(Scope scope);

// Filled by parse_settings() through ldap_options(), where the defaults are.
struct LdapSettings {
    std::string uri;  // as written: ldap://host:port or ldaps://host:port
    bool ldaps = false;
    bool start_tls = false;
    std::string ca_file;  // absolute; empty: the system's trusted CAs
    bool verify_certificate = false;
    std::string bind_dn;  // empty: anonymous
    std::string bind_password_env;
    std::int64_t connect_timeout_secs = 0;
    std::int64_t timeout_secs = 0;

    std::string base_dn;
    Scope scope = Scope::sub;
    std::string filter;
    std::int64_t page_size = 0;  // 0: no paging

    std::array<std::string, field_count> attributes;  // by Field; empty: the field is not read
    std::string department_level_separator;           // empty: values already use ">"

    // active from an attribute: an entry is active when the attribute holds
    // one of `active_values` (or, with inactive_values, none of them).
    std::string active_attribute;
    std::vector<std::string> active_values;
    bool values_mean_active = true;
    // active from a filter: the filter that finds the *inactive* entries
    // (the active_filter negated, or the inactive_filter), ANDed with
    // `filter`. Empty when active is not read from a filter.
    std::string inactive_search_filter;
    std::string active_filter_option;  // "active_filter" or "inactive_filter", for messages
    std::string active_filter_text;    // as written

    const std::string& attribute(Field f) const { return attributes[static_cast<std::size_t>(f)]; }
};

const OptionTable<LdapSettings>& ldap_options();

// Checks what the option table cannot: the URI, DNs, filters, field names,
// which options go together. Throws ConfigError at the offending value.
LdapSettings parse_settings(const ConfigValue& config, Host& host);

}  // namespace peoplesync::ldap_source
