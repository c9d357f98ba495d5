// Every configuration mistake is refused when the source is created —
// before any connection — with the file, line and column of the value at
// fault and a sentence that says what to write instead.
#include "ldap_fixture.hpp"

namespace peoplesync::ldap_test {
namespace {

using LdapConfig = LdapTestBase;

const std::string base = "uri: ldap://127.0.0.1:1\nbase_dn: ou=people,dc=example,dc=com\n";

struct Case {
    std::string yaml;
    std::string error;
};

TEST_F(LdapConfig, EveryMistakeIsNamedWithItsPlace) {
    const std::vector<Case> cases = {
        {"base_dn: dc=example,dc=com\n", "source.yaml:1:1: configuration: missing required option \"uri\""},
        {"uri: ldap://127.0.0.1:1\n", "source.yaml:1:1: configuration: missing required option \"base_dn\""},
        {base + "bind_password: hunter2\n",
         "source.yaml:3:16: bind_password: unknown option \"bind_password\" (known options: uri, start_tls, ca_file, "
         "verify_certificate, bind_dn, bind_password_env, connect_timeout_secs, timeout_secs, base_dn, scope, filter, "
         "page_size, attributes, department_level_separator, active_attribute, active_values, inactive_values, "
         "active_filter, inactive_filter)"},
        {"uri: 127.0.0.1:389\nbase_dn: dc=example,dc=com\n",
         "source.yaml:1:6: uri: \"127.0.0.1:389\" is not an LDAP URI; write ldap://127.0.0.1:389 or "
         "ldaps://127.0.0.1:389"},
        {"uri: http://127.0.0.1\nbase_dn: dc=example,dc=com\n",
         "source.yaml:1:6: uri: \"http://127.0.0.1\" is not an LDAP URI; write ldap://host:389 or ldaps://host:636"},
        {"uri: ldapi:///var/run/slapd.sock\nbase_dn: dc=example,dc=com\n",
         "source.yaml:1:6: uri: the scheme \"ldapi://\" is not supported; use ldap:// (with start_tls) or ldaps://"},
        {"uri: ldap://127.0.0.1/dc=example,dc=com\nbase_dn: dc=example,dc=com\n",
         "source.yaml:1:6: uri: give only the scheme, host and port here; the base DN goes in base_dn, the filter in "
         "filter"},
        {"uri: ldap://\nbase_dn: dc=example,dc=com\n",
         "source.yaml:1:6: uri: name the server: ldap://host:389 or ldaps://host:636"},
        {"uri: ldaps://127.0.0.1\nstart_tls: true\nbase_dn: dc=example,dc=com\n",
         "source.yaml:2:12: start_tls: ldaps:// is TLS from the start; start_tls is for ldap:// URIs"},
        {base + "ca_file: ca.pem\n",
         "source.yaml:3:10: ca_file: ca_file is used only with TLS: an ldaps:// URI or start_tls: true"},
        {base + "verify_certificate: false\n",
         "source.yaml:3:21: verify_certificate: there is no certificate to verify without TLS (an ldaps:// URI or "
         "start_tls: true)"},
        {base + "verify_certificate: maybe\n",
         "source.yaml:3:21: verify_certificate: expected true or false, found \"maybe\""},
        {base + "bind_dn: cn=peoplesync,dc=example,dc=com\n",
         "source.yaml:3:10: bind_dn: give bind_password_env too: the name of the environment variable that holds the "
         "password"},
        {base + "bind_dn: peoplesync\nbind_password_env: LDAP_PASSWORD\n",
         "source.yaml:3:10: bind_dn: \"peoplesync\" is not a DN (e.g. cn=peoplesync,ou=services,dc=example,dc=com) "
         "nor an Active Directory user name (peoplesync@example.com or EXAMPLE\\peoplesync)"},
        {base + "bind_dn: cn=x,dc=example,dc=com\nbind_password_env: \"hunter2!\"\n",
         "source.yaml:4:20: bind_password_env: give the name of an environment variable (letters, digits and _, e.g. "
         "LDAP_BIND_PASSWORD), not the password itself"},
        {base + "bind_password_env: LDAP_PASSWORD\n",
         "source.yaml:3:20: bind_password_env: bind_password_env needs bind_dn, the DN the password belongs to"},
        {"uri: ldap://127.0.0.1\nbase_dn: example.com\n",
         "source.yaml:2:10: base_dn: \"example.com\" is not a DN (RFC 4514: attribute=value pairs separated by commas, "
         "e.g. ou=people,dc=example,dc=com)"},
        {base + "scope: subtree\n", "source.yaml:3:8: scope: \"subtree\" is not one of: base, one, sub"},
        {base + "page_size: -1\n", "source.yaml:3:12: page_size: -1 is out of range [0, 100000]"},
        {base + "timeout_secs: 0\n", "source.yaml:3:15: timeout_secs: 0 is out of range [1, 3600]"},
        {base + "connect_timeout_secs: ten\n",
         "source.yaml:3:23: connect_timeout_secs: expected a whole number, found \"ten\""},
        {base + "filter: \"(&(uid=a)(mail=*)\"\n",
         "source.yaml:3:9: filter: the parentheses of \"(&(uid=a)(mail=*)\" do not balance (write a parenthesis "
         "inside a value as \\28 or \\29)"},
        {base + "filter: \"\"\n", "source.yaml:3:9: filter: the filter is empty"},
        {base + "attributes: {salary: employeeSalary}\n",
         "source.yaml:3:22: attributes.salary: \"salary\" is not a field (fields: hris_id, first_name, last_name, "
         "email, job_title, phone_number, employee_id, hire_date, profile_image, departments, manager)"},
        {base + "attributes: {active: nsAccountLock}\n",
         "source.yaml:3:22: attributes.active: active is not read from a plain attribute here: use active_attribute "
         "with active_values or inactive_values, or active_filter"},
        {base + "attributes:\n  email: ~\n",
         "source.yaml:4:3: attributes.email: email is required; name the attribute it is read from"},
        {base + "attributes: {job_title: job title}\n",
         "source.yaml:3:25: attributes.job_title: \"job title\" is not an attribute name"},
        {base + "attributes: [uid]\n", "source.yaml:3:13: attributes: expected a map of keys to values, found a list"},
        {base + "department_level_separator: \"\"\n",
         "source.yaml:3:29: department_level_separator: the department level separator is empty"},
        {base + "active_values: [TRUE]\n",
         "source.yaml:3:16: active_values: name the attribute these values are found in with active_attribute"},
        {base + "active_attribute: nsAccountLock\n",
         "source.yaml:3:19: active_attribute: give active_values (the values that mean active) or inactive_values "
         "(the values that mean inactive) with active_attribute"},
        {base + "active_attribute: employeeType\nactive_values: [Active]\ninactive_values: [Terminated]\n",
         "source.yaml:5:18: inactive_values: give active_values or inactive_values, not both"},
        {base + "active_attribute: nsAccountLock\ninactive_values: []\n",
         "source.yaml:4:18: inactive_values: the list is empty; give the values, e.g. [TRUE]"},
        {base + "active_attribute: nsAccountLock\ninactive_values: [TRUE]\nactive_filter: (!(nsAccountLock=TRUE))\n",
         "source.yaml:5:16: active_filter: active comes from active_attribute or from a filter, not both"},
        {base + "active_filter: (!(nsAccountLock=TRUE))\ninactive_filter: (nsAccountLock=TRUE)\n",
         "source.yaml:4:18: inactive_filter: give active_filter or inactive_filter, not both"},
        {base + "active_filter: \"(!(userAccountControl:1.2.840.113556.1.4.803:=2)\"\n",
         "source.yaml:3:16: active_filter: the parentheses of \"(!(userAccountControl:1.2.840.113556.1.4.803:=2)\" do "
         "not balance (write a parenthesis inside a value as \\28 or \\29)"},
    };
    for (const auto& c : cases) EXPECT_EQ(config_error(c.yaml), c.error) << c.yaml;
}

TEST_F(LdapConfig, ActiveDirectoryBindNamesAreAccepted) {
    for (const char* name : {"peoplesync@corp.example.com", "CORP\\\\peoplesync"})
        EXPECT_NO_THROW(make(base + "bind_dn: \"" + name + "\"\nbind_password_env: LDAP_PASSWORD\n")) << name;
}

TEST_F(LdapConfig, AValidConfigurationIsAcceptedWithoutConnecting) {
    EXPECT_NO_THROW(make(base + "bind_dn: 'cn=Doe\\, Jane,dc=example,dc=com'\nbind_password_env: LDAP_PASSWORD\n"
                                "attributes: {hris_id: employeeNumber, hire_date: ~}\n"
                                "active_filter: \"userAccountControl:1.2.840.113556.1.4.803:=2\"\n"));
}

TEST_F(LdapConfig, ThePluginDescribesEveryOption) {
    const auto& plugin = testing::built_plugins().find(PluginKind::source, "ldap");
    EXPECT_EQ(plugin.type, "ldap");
    EXPECT_FALSE(plugin.description.empty());
    ASSERT_EQ(plugin.options.size(), 19u);
    for (const auto& option : plugin.options) EXPECT_FALSE(option.description.empty()) << option.name;
}

}  // namespace
}  // namespace peoplesync::ldap_test
