// Reading the test organisation from a real slapd: the mapping field by
// field, managers by DN, paging past the server's size limit, active from
// attributes and filters, TLS, and every way a read can fail.
#include <peoplesync/validation.hpp>

#include "ldap_fixture.hpp"

namespace peoplesync::ldap_test {
namespace {

using LdapRead = SharedServerTest;

// As the server writes it (its own spelling of "cn=Doe\\, Jane,...").
const std::string jane_dn = "cn=Doe\\2C Jane,ou=people,dc=example,dc=com";
constexpr std::size_t org_size = 27;

// --- Mapping -------------------------------------------------------------------

TEST_F(LdapRead, EveryFieldFromItsInetOrgPersonAttribute) {
    Snapshot s = read(connection());
    ASSERT_EQ(s.users.size(), org_size);
    EXPECT_EQ(s.origin, server().uri() + "/ou=people,dc=example,dc=com");

    const UserView ada = user(s, "ada");
    EXPECT_EQ(ada.origin, "uid=ada,ou=people,dc=example,dc=com");
    EXPECT_EQ(ada.first_name, "Ada");
    EXPECT_EQ(ada.last_name, "Lovelace");
    EXPECT_EQ(ada.email, "ada@example.com");
    EXPECT_EQ(ada.job_title, "Chief Executive Officer");
    EXPECT_EQ(ada.phone_number, "+44 20 7946 0000");
    EXPECT_EQ(ada.employee_id, "E-0001");
    EXPECT_EQ(ada.departments, std::vector<std::string>{"Executive"});
    EXPECT_EQ(ada.manager_hris_id, "");
    EXPECT_TRUE(ada.active);
    EXPECT_EQ(ada.hire_date, "");
    EXPECT_EQ(ada.profile_image.url, "");

    const UserView jane = user(s, "jane");
    EXPECT_EQ(jane.origin, jane_dn);
    EXPECT_EQ(jane.first_name, "Jane");
    EXPECT_EQ(jane.last_name, "Doe");
    EXPECT_EQ(jane.departments, (std::vector<std::string>{"Engineering", "Executive"}));  // multi-valued
    EXPECT_EQ(jane.manager_hris_id, "ada");

    EXPECT_EQ(user(s, "jose").first_name, "José");
    EXPECT_EQ(user(s, "jose").last_name, "Álvarez");
    EXPECT_EQ(user(s, "wei").first_name, "伟");
    EXPECT_EQ(user(s, "wei").last_name, "张");
    EXPECT_EQ(user(s, "wei").departments, (std::vector<std::string>{"Engineering > Platform", "Research"}));

    EXPECT_EQ(s.field_labels.at("hris_id"), "attribute uid");
    EXPECT_EQ(s.field_labels.at("email"), "attribute mail");
    EXPECT_EQ(s.field_labels.at("departments"), "attribute departmentNumber");
    EXPECT_EQ(s.field_labels.at("manager"), "attribute manager");
    EXPECT_EQ(s.field_labels.count("hire_date"), 0u);
    EXPECT_EQ(s.locate(jane, "email"), jane_dn + " attribute mail");
}

TEST_F(LdapRead, ManagerDnsMatchWhateverTheirCaseSpacesAndEscapes) {
    Snapshot s = read(connection());
    // "cn=Doe\, Jane,ou=people,...", an escape other than the server's.
    EXPECT_EQ(user(s, "bob").manager_hris_id, "jane");
    // "CN=Doe\2C Jane, OU=People,DC=Example,dc=com": hex escape, spaces, case.
    EXPECT_EQ(user(s, "jose").manager_hris_id, "jane");
    // "UID=JOSE,OU=PEOPLE,DC=EXAMPLE,DC=COM".
    EXPECT_EQ(user(s, "wei").manager_hris_id, "jose");
    EXPECT_EQ(user(s, "s07").manager_hris_id, "ada");
}

TEST_F(LdapRead, AManagerWhoIsNotAmongTheEntriesIsAWarningAndStaysUnset) {
    Snapshot s = read(connection());
    EXPECT_EQ(user(s, "lost").manager_hris_id, "");
    EXPECT_TRUE(
        has(findings(s),
            "warning uid=lost,ou=people,dc=example,dc=com attribute manager: manager "
            "\"uid=nobody,ou=people,dc=example,dc=com\" is not among the entries read (base_dn "
            "\"ou=people,dc=example,dc=com\", filter \"(objectClass=inetOrgPerson)\"); the manager stays unset"))
        << ::testing::PrintToString(findings(s));
    for (const Finding& f : s.findings) EXPECT_NE(f.location.find("uid=lost"), std::string::npos) << f.message;
}

TEST_F(LdapRead, AManagerLeftOutByTheFilterIsAWarningToo) {
    Snapshot s = read(connection() + "filter: (departmentNumber=Engineering > Platform)\n");
    ASSERT_EQ(s.users.size(), 3u);  // jose, wei, bob
    EXPECT_EQ(user(s, "wei").manager_hris_id, "jose");
    EXPECT_EQ(user(s, "jose").manager_hris_id, "");
    EXPECT_TRUE(has(findings(s),
                    "warning uid=jose,ou=people,dc=example,dc=com attribute manager: manager "
                    "\"CN=Doe\\2C Jane, OU=People,DC=Example,dc=com\" is not among the entries read "
                    "(base_dn \"ou=people,dc=example,dc=com\", filter \"(departmentNumber=Engineering > "
                    "Platform)\"); the manager stays unset"))
        << ::testing::PrintToString(findings(s));
}

TEST_F(LdapRead, AttributesCanBeRemappedAndLeftOut) {
    Snapshot s = read(connection() +
                      "attributes:\n"
                      "  hris_id: employeeNumber\n"
                      "  employee_id: employeeNumber\n"
                      "  phone_number: ~\n"
                      "  job_title: \"\"\n"
                      "  hire_date: carLicense\n");
    ASSERT_EQ(s.users.size(), org_size);
    const UserView jane = user(s, "E-0002");
    EXPECT_EQ(jane.employee_id, "E-0002");
    EXPECT_EQ(jane.manager_hris_id, "E-0001");  // managers resolve to the mapped hris_id
    EXPECT_EQ(jane.phone_number, "");
    EXPECT_EQ(jane.job_title, "");
    EXPECT_EQ(s.field_labels.at("hris_id"), "attribute employeeNumber");
    EXPECT_EQ(s.field_labels.at("employee_id"), "attribute employeeNumber");
    EXPECT_EQ(s.field_labels.count("phone_number"), 0u);
    EXPECT_EQ(s.field_labels.at("hire_date"), "attribute carLicense");
}

TEST_F(LdapRead, DepartmentLevelsWrittenWithAnotherSeparator) {
    Snapshot s = read(connection() + "attributes: {departments: ou}\ndepartment_level_separator: /\n");
    EXPECT_EQ(user(s, "wei").departments, (std::vector<std::string>{"Engineering > Platform", "Research"}));
    EXPECT_EQ(user(s, "jane").departments, (std::vector<std::string>{"Engineering", "Executive"}));
    EXPECT_EQ(s.field_labels.at("departments"), "attribute ou");
}

TEST_F(LdapRead, ASingleValuedFieldFedByManyValuesTakesTheFirstWithAWarning) {
    Snapshot s = read(connection() + "attributes: {job_title: departmentNumber}\n");
    EXPECT_EQ(user(s, "jane").job_title, "Engineering");
    EXPECT_TRUE(has(findings(s), "warning " + jane_dn +
                                     " attribute departmentNumber: the attribute has 2 values; the first, "
                                     "\"Engineering\", is used for job_title"))
        << ::testing::PrintToString(findings(s));
}

TEST_F(LdapRead, ABinaryValueInATextFieldIsARecordError) {
    Snapshot s = read(connection() + "attributes: {job_title: jpegPhoto}\n");
    ASSERT_EQ(s.users.size(), org_size);
    const UserView broken = user(s, "broken");
    EXPECT_EQ(broken.job_title, "");
    std::vector<Finding> errors;
    for (const auto& f : s.findings)
        if (f.severity == Severity::error) errors.push_back(f);
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(findings(s));
    EXPECT_EQ(errors[0].location, "uid=broken,ou=people,dc=example,dc=com attribute jpegPhoto");
    EXPECT_EQ(errors[0].message,
              "the value is binary, not UTF-8 text (0x89 0x50 0x4E 0x47 0x0D 0x0A 0x1A 0x0A ...); map a text "
              "attribute to job_title in attributes, or store the value as UTF-8");
    EXPECT_EQ(s.users[static_cast<std::size_t>(errors[0].record)].origin, broken.origin);
}

TEST_F(LdapRead, ValidationErrorsNameTheDnAndTheAttribute) {
    Snapshot s = read(connection());
    validate_records(s);
    std::vector<std::string> all = findings(s);
    EXPECT_TRUE(has(all,
                    "error uid=broken,ou=people,dc=example,dc=com attribute mail: \"broken@\" is not an email "
                    "address"))
        << ::testing::PrintToString(all);
}

TEST_F(LdapRead, ScopeBaseReadsOneEntryAndOneReadsChildrenOnly) {
    Snapshot one = read(connection({{"scope", "base"}, {"base_dn", jane_dn}}));
    ASSERT_EQ(one.users.size(), 1u);
    EXPECT_EQ(one.users[0].hris_id, "jane");
    // Her manager is not read: a warning, as for any manager outside the search.
    EXPECT_EQ(one.users[0].manager_hris_id, "");

    Snapshot none = read(connection({{"scope", "one"}, {"base_dn", "dc=example,dc=com"}}));
    EXPECT_TRUE(none.users.empty());
    Snapshot all = read(connection() + "scope: one\n");
    EXPECT_EQ(all.users.size(), org_size);
}

// --- Paging ------------------------------------------------------------------------

TEST_F(LdapRead, PagingReadsEverybodyAlthoughTheServerStopsAtTen) {
    Snapshot s = read(connection() + "page_size: 4\n");
    EXPECT_EQ(s.users.size(), org_size);
    // Progress after every page: 4, 8, ... 27, then the total.
    ASSERT_GE(context().calls.size(), 7u);
    EXPECT_EQ(context().calls.front(), 4);
    EXPECT_EQ(context().calls.back(), static_cast<std::int64_t>(org_size));
    EXPECT_TRUE(std::is_sorted(context().calls.begin(), context().calls.end()));

    Snapshot by_default = read(connection());
    EXPECT_EQ(by_default.users.size(), org_size);
}

TEST_F(LdapRead, WithoutPagingTheSizeLimitFailsTheRead) {
    const std::string message = read_error(connection() + "page_size: 0\n");
    EXPECT_EQ(message, server().uri() +
                           ": the server stopped the search at its size limit after 10 entries (sizeLimitExceeded); "
                           "the read is incomplete and was discarded, nothing is synced from it. Turn paging on "
                           "(page_size: 500) or raise the server's size limit for "
                           "\"cn=peoplesync,ou=services,dc=example,dc=com\"");
}

// --- Active --------------------------------------------------------------------------

std::vector<std::string> inactive(const Snapshot& s) {
    std::vector<std::string> out;
    for (const auto& u : s.users)
        if (!u.active) out.emplace_back(u.hris_id);
    std::sort(out.begin(), out.end());
    return out;
}

TEST_F(LdapRead, EverybodyIsActiveWhenNothingSaysOtherwise) {
    EXPECT_TRUE(inactive(read(connection())).empty());
}

TEST_F(LdapRead, ActiveFromAnAttributeWhoseValuesMeanInactive) {
    Snapshot s = read(connection() + "active_attribute: nsAccountLock\ninactive_values: [true]\n");
    EXPECT_EQ(inactive(s), std::vector<std::string>{"bob"});  // TRUE matches true: case-insensitive
    EXPECT_EQ(s.field_labels.at("active"), "attribute nsAccountLock");
}

TEST_F(LdapRead, ActiveFromAnAttributeWhoseValuesMeanActive) {
    Snapshot s = read(connection() + "active_attribute: userAccountControl\nactive_values: [512, 66048]\n");
    // Bob is 514 (disabled); Lou and Bea have no userAccountControl at all.
    EXPECT_EQ(inactive(s), (std::vector<std::string>{"bob", "broken", "lost"}));
}

TEST_F(LdapRead, ActiveFromActiveDirectorysDisabledBitFilter) {
    Snapshot s = read(connection() + "active_filter: \"(!(userAccountControl:1.2.840.113556.1.4.803:=2))\"\n");
    EXPECT_EQ(inactive(s), std::vector<std::string>{"bob"});
    EXPECT_EQ(s.users.size(), org_size);
}

TEST_F(LdapRead, InactiveFilterForOpenLdapAccountLocks) {
    Snapshot s = read(connection() + "inactive_filter: (nsAccountLock=TRUE)\npage_size: 3\n");
    EXPECT_EQ(inactive(s), std::vector<std::string>{"bob"});
}

TEST_F(LdapRead, AnActiveFilterTheServerCannotEvaluateDeactivatesNobody) {
    // An attribute the server does not know: the filter is undefined for
    // every entry, which must not turn into a mass deactivation.
    Snapshot s = read(connection() + "active_filter: (!(pwdAccountLockedTime=*))\n");
    EXPECT_EQ(s.users.size(), org_size);
    EXPECT_TRUE(inactive(s).empty());
}

TEST_F(LdapRead, AnInactiveFilterThatMatchesEverybodyIsAWarning) {
    Snapshot s = read(connection() + "inactive_filter: (objectClass=person)\n");
    EXPECT_EQ(inactive(s).size(), org_size);
    EXPECT_TRUE(has(findings(s), "warning " + s.origin +
                                     ": inactive_filter \"(objectClass=person)\" leaves none of the 27 entries active, "
                                     "so everybody is read as inactive; check the filter (a filter on an attribute the "
                                     "server does not know matches nothing)"))
        << ::testing::PrintToString(findings(s));
}

// --- Binding and TLS -------------------------------------------------------------------

TEST_F(LdapRead, AnonymousBindReadsWhatAnonymousMaySee) {
    Snapshot s = read("uri: " + server().uri() + "\nbase_dn: ou=people,dc=example,dc=com\n");
    EXPECT_EQ(s.users.size(), org_size);
}

TEST_F(LdapRead, AWrongPasswordNamesTheUriTheDnAndTheVariable) {
    ::setenv(password_env, "not-the-password", 1);
    EXPECT_EQ(read_error(connection()),
              server().uri() +
                  ": the server refused the bind as \"cn=peoplesync,ou=services,dc=example,dc=com\": invalid "
                  "credentials (Invalid credentials); check the password in the environment variable "
                  "PEOPLESYNC_TEST_LDAP_PASSWORD and that bind_dn exists");
}

TEST_F(LdapRead, AnUnsetOrEmptyPasswordVariableIsRefusedBeforeConnecting) {
    ::unsetenv(password_env);
    EXPECT_EQ(read_error(connection()),
              server().uri() +
                  ": the environment variable PEOPLESYNC_TEST_LDAP_PASSWORD (bind_password_env) is not set; it must "
                  "hold the password of \"cn=peoplesync,ou=services,dc=example,dc=com\"");
    ::setenv(password_env, "", 1);
    EXPECT_NE(read_error(connection())
                  .find("(bind_password_env) is empty; a bind with an empty password is "
                        "anonymous, so it is refused"),
              std::string::npos);
}

TEST_F(LdapRead, StartTlsWithTheTestCa) {
    Snapshot s = read(connection() + "start_tls: true\nca_file: " + server().ca_file().string() + "\n");
    EXPECT_EQ(s.users.size(), org_size);
}

TEST_F(LdapRead, LdapsWithTheTestCaRelativeToTheConfiguration) {
    fs::copy_file(server().ca_file(), dir() / "ca.pem");
    Snapshot s = read(connection({{"uri", server().ldaps_uri()}, {"ca_file", "ca.pem"}}));
    EXPECT_EQ(s.users.size(), org_size);
    EXPECT_EQ(s.origin, server().ldaps_uri() + "/ou=people,dc=example,dc=com");
}

TEST_F(LdapRead, LdapsWithoutTheCaFailsBecauseTheCertificateIsNotTrusted) {
    EXPECT_EQ(read_error(connection({{"uri", server().ldaps_uri()}})),
              server().ldaps_uri() +
                  ": the TLS handshake failed: the server's certificate was refused (it is not signed by a CA the "
                  "system trusts, or not issued for the host name in uri); if it is signed by a private CA, give "
                  "that CA's certificate in ca_file");
}

TEST_F(LdapRead, StartTlsWithoutTheCaFailsToo) {
    EXPECT_EQ(read_error(connection({{"start_tls", "true"}})),
              server().uri() +
                  ": the TLS handshake failed: the server's certificate was refused (it is not signed by a CA the "
                  "system trusts, or not issued for the host name in uri); if it is signed by a private CA, give "
                  "that CA's certificate in ca_file");
}

TEST_F(LdapRead, ACertificateForAnotherHostIsRefused) {
    // The certificate names 127.0.0.1 only; "localhost" is the same address
    // under another name (and see ldap_localhost_test.cpp).
    const std::string uri = "ldaps://localhost:" + server().ldaps_uri().substr(server().ldaps_uri().rfind(':') + 1);
    const std::string message = read_error(connection({{"uri", uri}, {"ca_file", server().ca_file().string()}}));
    EXPECT_EQ(message.rfind(uri + ": the TLS handshake failed: the server's certificate was refused", 0), 0u)
        << message;
    EXPECT_NE(message.find("Otherwise the certificate is not signed by a CA in ca_file " + server().ca_file().string()),
              std::string::npos)
        << message;
}

TEST_F(LdapRead, LdapsOnThePlainPortIsNamed) {
    const std::string uri = "ldaps://127.0.0.1:" + std::to_string(server().port());
    const std::string message = read_error(connection({{"uri", uri}, {"ca_file", server().ca_file().string()}}));
    EXPECT_EQ(message.rfind(uri + ": the TLS handshake failed (", 0), 0u) << message;
    EXPECT_NE(message.find("check that the port in uri speaks ldaps:// (636), not ldap:// (389)"), std::string::npos)
        << message;
}

TEST_F(LdapRead, AWrongCaFileIsNamed) {
    const std::string message =
        read_error(connection({{"uri", server().ldaps_uri()}, {"ca_file", "/nonexistent/ca.pem"}}));
    EXPECT_EQ(message.rfind(server().ldaps_uri() +
                                ": cannot set up TLS with ca_file /nonexistent/ca.pem: is it a readable PEM file of CA "
                                "certificates?",
                            0),
              0u)
        << message;
}

TEST_F(LdapRead, VerificationTurnedOffAcceptsAnyCertificate) {
    Snapshot s = read(connection({{"uri", server().ldaps_uri()}, {"verify_certificate", "false"}}));
    EXPECT_EQ(s.users.size(), org_size);
}

// --- Search errors ----------------------------------------------------------------------

TEST_F(LdapRead, ABadFilterIsNamed) {
    EXPECT_EQ(read_error(connection() + "filter: (uid~ada)\n"),
              server().uri() +
                  ": filter \"(uid~ada)\" is not a valid LDAP filter (RFC 4515), e.g. "
                  "(&(objectClass=inetOrgPerson)(mail=*))");
    EXPECT_EQ(read_error(connection() + "active_filter: (uid~ada)\n"),
              server().uri() +
                  ": active_filter \"(&(objectClass=inetOrgPerson)(!(uid~ada)))\" is not a valid LDAP filter (RFC "
                  "4515), e.g. (&(objectClass=inetOrgPerson)(mail=*))");
}

TEST_F(LdapRead, AMissingBaseDnIsNamedWithTheNearestEntry) {
    EXPECT_EQ(read_error(connection({{"base_dn", "ou=staff,dc=example,dc=com"}})),
              server().uri() +
                  ": base_dn \"ou=staff,dc=example,dc=com\" does not exist (noSuchObject; the nearest entry that "
                  "does is \"dc=example,dc=com\")");
}

TEST_F(LdapRead, AnUnreachablePortIsNamed) {
    const std::string uri = "ldap://127.0.0.1:" + std::to_string(free_port());
    const std::string message = read_error(connection({{"uri", uri}}));
    EXPECT_EQ(message.rfind(uri + ": cannot connect to the server (Can't contact LDAP server", 0), 0u) << message;
    EXPECT_NE(message.find("); check the host and port in uri and that the server is running"), std::string::npos)
        << message;
}

TEST_F(LdapRead, ConstructingTheSourceDoesNoNetworkIo) {
    // Nothing listens there: only read() would notice.
    const std::string uri = "ldap://127.0.0.1:" + std::to_string(free_port());
    EXPECT_NO_THROW(make(connection({{"uri", uri}})));
}

}  // namespace
}  // namespace peoplesync::ldap_test
