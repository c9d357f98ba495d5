#include "ldap_settings.hpp"

#ifdef _WIN32
#include "ldap_url.hpp"  // wldap32 has no URL parser
#include "platform.hpp"
#else
#include <ldap.h>
#endif

#include <memory>

#include "dn.hpp"
#include "option_values.hpp"
#include "text.hpp"

namespace peoplesync::ldap_source {

using options::fail_at;
using options::is_env_name;

namespace {

std::string known_fields() {
    std::string out;
    for (const FieldSpec& spec : field_specs) {
        if (!is_attribute_field(spec.id)) continue;
        if (!out.empty()) out += ", ";
        out += spec.name;
    }
    return out;
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// An attribute description: a name (letters, digits, hyphens, starting with a
// letter) or an OID, and options after ";" (RFC 4512 2.5).
bool is_attribute_description(std::string_view text) {
    if (text.empty()) return false;
    const std::string_view type = text.substr(0, text.find(';'));
    if (type.empty()) return false;
    if (is_alpha(type[0])) {
        for (char c : type)
            if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    } else {
        bool digit = false;
        for (char c : type) {
            if (c == '.') {
                if (!digit) return false;
                digit = false;
            } else if (is_digit(c)) {
                digit = true;
            } else {
                return false;
            }
        }
        if (!digit) return false;
    }
    for (char c : text.substr(type.size()))
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != ';') return false;
    return true;
}

// A filter wrapped in parentheses, as libldap also accepts it without. Only
// the parentheses are checked here; the server says what else is wrong.
std::string checked_filter(const ConfigValue& value) {
    const std::string_view text = trim_spaces(value.text());
    if (text.empty()) value.fail("the filter is empty");
    int depth = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\') {
            ++i;
        } else if (text[i] == '(') {
            ++depth;
        } else if (text[i] == ')') {
            if (--depth < 0) break;
        }
    }
    if (depth != 0)
        value.fail("the parentheses of \"" + std::string(text) +
                   "\" do not balance (write a parenthesis inside a value as \\28 or \\29)");
    if (text.front() == '(') return std::string(text);
    return "(" + std::string(text) + ")";
}

#ifndef _WIN32
struct UrlDeleter {
    void operator()(LDAPURLDesc* url) const { ldap_free_urldesc(url); }
};

void check_uri(const ConfigValue& value) {
    const std::string& text = value.text();
    if (trim_spaces(text).empty()) value.fail("the URI is empty; write ldap://host:389 or ldaps://host:636");
    LDAPURLDesc* parsed = nullptr;
    const int rc = ldap_url_parse(text.c_str(), &parsed);
    std::unique_ptr<LDAPURLDesc, UrlDeleter> url(parsed);
    if (rc != LDAP_URL_SUCCESS || !url) {
        if (text.find("://") == std::string::npos)
            value.fail("\"" + text + "\" is not an LDAP URI; write ldap://" + text + " or ldaps://" + text);
        value.fail("\"" + text + "\" is not an LDAP URI; write ldap://host:389 or ldaps://host:636");
    }
    const std::string scheme = fold_ascii(url->lud_scheme != nullptr ? url->lud_scheme : "");
    if (scheme != "ldap" && scheme != "ldaps")
        value.fail("the scheme \"" + scheme + "://\" is not supported; use ldap:// (with start_tls) or ldaps://");
    if (url->lud_host == nullptr || *url->lud_host == '\0')
        value.fail("name the server: ldap://host:389 or ldaps://host:636");
    if ((url->lud_dn != nullptr && *url->lud_dn != '\0') || url->lud_attrs != nullptr || url->lud_filter != nullptr)
        value.fail("give only the scheme, host and port here; the base DN goes in base_dn, the filter in filter");
}
#else
// The same checks, with the same words, over the portable parser; and the
// port, which wldap32 takes as a number.
void check_uri(const ConfigValue& value) {
    const std::string& text = value.text();
    if (trim_spaces(text).empty()) value.fail("the URI is empty; write ldap://host:389 or ldaps://host:636");
    const auto url = portable::parse_ldap_url(text);
    if (!url) {
        if (text.find("://") == std::string::npos)
            value.fail("\"" + text + "\" is not an LDAP URI; write ldap://" + text + " or ldaps://" + text);
        value.fail("\"" + text + "\" is not an LDAP URI; write ldap://host:389 or ldaps://host:636");
    }
    if (url->scheme != "ldap" && url->scheme != "ldaps")
        value.fail("the scheme \"" + url->scheme + "://\" is not supported; use ldap:// (with start_tls) or ldaps://");
    if (!url->host) value.fail("name the server: ldap://host:389 or ldaps://host:636");
    if ((url->dn && !url->dn->empty()) || url->attributes || url->filter)
        value.fail("give only the scheme, host and port here; the base DN goes in base_dn, the filter in filter");
    if (url->port < 1 || url->port > 65535) value.fail("the port must be a number from 1 to 65535");
}
#endif

std::string checked_dn(const ConfigValue& value, std::string_view what) {
    const std::string& text = value.text();
    if (!is_dn(text))
        value.fail("\"" + text + "\" is not a " + std::string(what) +
                   " (RFC 4514: attribute=value pairs separated by commas, e.g. ou=people,dc=example,dc=com)");
    return std::string(trim_spaces(text));
}

// A DN, or one of the names Active Directory also accepts for a simple
// bind: user@domain (userPrincipalName) and DOMAIN\user.
std::string checked_bind_name(const ConfigValue& value) {
    const std::string text(trim_spaces(value.text()));
    const bool principal = text.find('=') == std::string::npos && text.find('@') != std::string::npos;
    const bool down_level = text.find('=') == std::string::npos && text.find('\\') != std::string::npos;
    if (principal || down_level) return text;
    if (!is_dn(text))
        value.fail("\"" + text +
                   "\" is not a DN (e.g. cn=peoplesync,ou=services,dc=example,dc=com) nor an Active Directory "
                   "user name (peoplesync@example.com or EXAMPLE\\peoplesync)");
    return text;
}

std::vector<std::string> value_list(const ConfigValue& value) {
    std::vector<std::string> out;
    if (value.kind() == ConfigValue::Kind::scalar) {
        out.push_back(value.text());
    } else {
        for (const auto& item : value.items()) out.push_back(item.as_string());
    }
    if (out.empty()) value.fail("the list is empty; give the values, e.g. [TRUE]");
    return out;
}

}  // namespace

bool is_attribute_field(Field f) {
    return f != Field::active;
}

std::string_view name_of(Field f) {
    return spec_of(f).name;
}

std::string_view default_attribute(Field f) {
    return spec_of(f).ldap_attribute;
}

std::string_view to_string(Scope scope) {
    switch (scope) {
        case Scope::base:
            return "base";
        case Scope::one:
            return "one";
        case Scope::sub:
            return "sub";
    }
    return "?";
}

// "{hris_id: uid, first_name: givenName, ...}", for listings.
std::string default_attributes_text() {
    std::string out;
    for (const FieldSpec& spec : field_specs)
        if (!spec.ldap_attribute.empty())
            out += (out.empty() ? "{" : ", ") + std::string(spec.name) + ": " + std::string(spec.ldap_attribute);
    return out + "}";
}

// "uid, givenName, ...": the default attributes alone.
std::string default_attribute_names() {
    std::string out;
    for (const FieldSpec& spec : field_specs)
        if (!spec.ldap_attribute.empty()) out += (out.empty() ? "" : ", ") + std::string(spec.ldap_attribute);
    return out;
}

const OptionTable<LdapSettings>& ldap_options() {
    static const OptionTable<LdapSettings> table = {
        {option::string("uri", "The server: ldap://host:389 or ldaps://host:636.").required()},
        {option::boolean("start_tls", "Upgrade an ldap:// connection to TLS with StartTLS before binding.")
             .fallback("false"),
         &LdapSettings::start_tls},
        {option::string("ca_file",
                        "PEM file of the CA certificates that sign the server's certificate. Default: the system's "
                        "trusted CAs. Relative to the configuration file.")},
        {option::boolean("verify_certificate",
                         "Check the server's certificate and host name (ldaps:// and start_tls). Turning this off "
                         "lets anybody between peoplesync and the server read the password and forge the people.")
             .fallback("true"),
         &LdapSettings::verify_certificate},
        {option::string("bind_dn", "The DN to bind as (simple bind). Without it, peoplesync binds anonymously.")},
        {option::string("bind_password_env",
                        "The name of the environment variable that holds the bind DN's password (never the "
                        "password itself).")},
        {option::integer("connect_timeout_secs", "How long to wait for the TCP connection and the TLS handshake.")
             .fallback("10")
             .range(1, 600),
         &LdapSettings::connect_timeout_secs},
        {option::integer("timeout_secs",
                         "How long to wait for any answer from the server: the bind, StartTLS, and each message of "
                         "a search (the whole search may take longer).")
             .fallback("60")
             .range(1, 3600),
         &LdapSettings::timeout_secs},
        {option::string("base_dn", "Where the search starts, e.g. ou=people,dc=example,dc=com.").required()},
        {option::string("scope", "base (the base entry only), one (its children) or sub (the whole subtree).")
             .fallback("sub")
             .one_of({"base", "one", "sub"}),
         [](LdapSettings& s, const ConfigValue& value) {
             s.scope = value.text() == "base" ? Scope::base : value.text() == "one" ? Scope::one : Scope::sub;
         }},
        {option::string("filter", "Which entries are people (RFC 4515).").fallback("(objectClass=inetOrgPerson)"),
         [](LdapSettings& s, const ConfigValue& value) { s.filter = checked_filter(value); }},
        {option::integer("page_size",
                         "Entries per page of a paged search (RFC 2696), so that directories larger than the "
                         "server's size limit are read whole. 0 turns paging off.")
             .fallback("500")
             .range(0, 100000),
         &LdapSettings::page_size},
        {option::map("attributes", "Field → the attribute it is read from. Fields not named keep their default (" +
                                       default_attribute_names() + "); a field set to ~ or \"\" is not read.")
             .fallback_described(default_attributes_text())},
        {option::string("department_level_separator",
                        "The separator the directory writes between department levels (e.g. /); it becomes \" > \".")},
        {option::string("active_attribute",
                        "The attribute that says whether a person is active; give active_values or inactive_values "
                        "with it.")},
        {option::list("active_values",
                      "With active_attribute: the values that mean active (any other value, or none, is inactive). "
                      "Compared case-insensitively.")},
        {option::list("inactive_values",
                      "With active_attribute: the values that mean inactive (any other value, or none, is active). "
                      "Compared case-insensitively.")},
        {option::string("active_filter",
                        "A filter the server evaluates: the entries it matches are active, the others inactive.")},
        {option::string("inactive_filter",
                        "A filter the server evaluates: the entries it matches are inactive, the others active.")},
    };
    return table;
}

LdapSettings parse_settings(const ConfigValue& config, Host& host) {
    LdapSettings s = ldap_options().read(config);

    const ConfigValue& uri = config.at("uri");
    check_uri(uri);
    s.uri = std::string(trim_spaces(uri.text()));
    s.ldaps = fold_ascii(s.uri.substr(0, 8)) == "ldaps://";
    const bool ldaps = s.ldaps;

    if (s.start_tls && ldaps)
        config.at("start_tls").fail("ldaps:// is TLS from the start; start_tls is for ldap:// URIs");
    const bool tls = ldaps || s.start_tls;
    if (const ConfigValue* ca = config.find("ca_file"); ca != nullptr && !ca->is_null()) {
        if (trim_spaces(ca->text()).empty()) ca->fail("the path is empty");
        if (!tls) ca->fail("ca_file is used only with TLS: an ldaps:// URI or start_tls: true");
        s.ca_file = host.resolve_path(std::string(trim_spaces(ca->text())));
    }
    if (!s.verify_certificate && !tls)
        config.at("verify_certificate")
            .fail("there is no certificate to verify without TLS (an ldaps:// URI or start_tls: true)");
#ifdef _WIN32
    // wldap32 takes no CA file: Windows checks the server's certificate
    // against its certificate store (README, Windows).
    if (!s.ca_file.empty())
        config.at("ca_file").fail(
            "ca_file is not supported on Windows: Windows' LDAP client (wldap32) checks the server's certificate "
            "against the Windows certificate store. Import the CA certificate into Trusted Root Certification "
            "Authorities (certutil -addstore Root " +
            s.ca_file + ", as an administrator) and leave ca_file out");
    // Wine's wldap32 runs the TLS handshake without checking the server's
    // certificate at all, and takes no certificate callback: the check
    // asked for cannot be made there.
    if (tls && s.verify_certificate && running_under_wine()) {
        const ConfigValue* verify = config.find("verify_certificate");
        const ConfigValue& at = verify != nullptr && !verify->is_null() ? *verify
                                : ldaps                                 ? config.at("uri")
                                                                        : config.at("start_tls");
        at.fail(
            "verify_certificate: true cannot be honoured under Wine: Wine's wldap32 does not check the server's "
            "certificate (Windows does, against its certificate store). Under Wine, set verify_certificate: false "
            "to use TLS without the check, knowing that the server is then not authenticated");
    }
#endif

    const ConfigValue* bind_dn = config.find("bind_dn");
    const ConfigValue* password_env = config.find("bind_password_env");
    const bool has_bind_dn = bind_dn != nullptr && !bind_dn->is_null();
    const bool has_password_env = password_env != nullptr && !password_env->is_null();
    if (has_bind_dn) {
        if (trim_spaces(bind_dn->text()).empty())
            bind_dn->fail("the bind DN is empty; leave bind_dn out to bind anonymously");
        s.bind_dn = checked_bind_name(*bind_dn);
        if (!has_password_env)
            bind_dn->fail("give bind_password_env too: the name of the environment variable that holds the password");
    }
    if (has_password_env) {
        const std::string& name = password_env->text();
        if (!is_env_name(name))
            password_env->fail(
                "give the name of an environment variable (letters, digits and _, e.g. "
                "LDAP_BIND_PASSWORD), not the password itself");
        if (!has_bind_dn) password_env->fail("bind_password_env needs bind_dn, the DN the password belongs to");
        s.bind_password_env = name;
    }

    s.base_dn = checked_dn(config.at("base_dn"), "DN");

    for (const FieldSpec& spec : field_specs) s.attributes[static_cast<std::size_t>(spec.id)] = spec.ldap_attribute;
    if (const ConfigValue* attributes = config.find("attributes"); attributes != nullptr && !attributes->is_null()) {
        for (const auto& [key, value] : attributes->entries()) {
            if (key == "active")
                fail_at(*attributes, key, value,
                        "active is not read from a plain attribute here: use active_attribute with active_values "
                        "or inactive_values, or active_filter");
            auto f = field_named(key);
            if (!f || !is_attribute_field(*f))
                fail_at(*attributes, key, value, "\"" + key + "\" is not a field (fields: " + known_fields() + ")");
            std::string name = value.is_null() ? std::string() : std::string(trim_spaces(value.text()));
            if (name.empty() && spec_of(*f).required())
                fail_at(*attributes, key, value, key + " is required; name the attribute it is read from");
            if (!name.empty() && !is_attribute_description(name))
                value.fail("\"" + name + "\" is not an attribute name");
            s.attributes[static_cast<std::size_t>(*f)] = std::move(name);
        }
    }

    if (const ConfigValue* level = config.find("department_level_separator"); level != nullptr && !level->is_null()) {
        if (level->text().empty()) level->fail("the department level separator is empty");
        s.department_level_separator = level->text();
    }

    const ConfigValue* active_attribute = config.find("active_attribute");
    const ConfigValue* active_values = config.find("active_values");
    const ConfigValue* inactive_values = config.find("inactive_values");
    const ConfigValue* active_filter = config.find("active_filter");
    const ConfigValue* inactive_filter = config.find("inactive_filter");
    auto given = [](const ConfigValue* v) { return v != nullptr && !v->is_null(); };
    if (given(active_filter) && given(inactive_filter))
        inactive_filter->fail("give active_filter or inactive_filter, not both");
    const ConfigValue* filter_option = given(active_filter)     ? active_filter
                                       : given(inactive_filter) ? inactive_filter
                                                                : nullptr;
    if (given(active_attribute)) {
        if (filter_option != nullptr)
            filter_option->fail("active comes from active_attribute or from a filter, not both");
        const std::string name(trim_spaces(active_attribute->text()));
        if (!is_attribute_description(name)) active_attribute->fail("\"" + name + "\" is not an attribute name");
        if (given(active_values) && given(inactive_values))
            inactive_values->fail("give active_values or inactive_values, not both");
        if (!given(active_values) && !given(inactive_values))
            active_attribute->fail(
                "give active_values (the values that mean active) or inactive_values (the values "
                "that mean inactive) with active_attribute");
        s.active_attribute = name;
        s.values_mean_active = given(active_values);
        s.active_values = value_list(given(active_values) ? *active_values : *inactive_values);
    } else {
        for (const ConfigValue* values : {active_values, inactive_values})
            if (given(values)) values->fail("name the attribute these values are found in with active_attribute");
    }
    if (filter_option != nullptr) {
        const std::string filter = checked_filter(*filter_option);
        s.active_filter_text = std::string(trim_spaces(filter_option->text()));
        if (filter_option == active_filter) {
            s.active_filter_option = "active_filter";
            s.inactive_search_filter = "(&" + s.filter + "(!" + filter + "))";
        } else {
            s.active_filter_option = "inactive_filter";
            s.inactive_search_filter = "(&" + s.filter + filter + ")";
        }
    }
    return s;
}

}  // namespace peoplesync::ldap_source
