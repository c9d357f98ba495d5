// The parts of the ldap source that need no server: DN normal forms, the
// UTF-8 check, and the messages for failures a test server will not produce
// on cue (time limits, referrals, a server without paging).
#ifdef _WIN32
#include "winldap_api.hpp"
#else
#include <ldap.h>
#endif

#include <gtest/gtest.h>

#include "dn.hpp"
#include "ldap_errors.hpp"
#include "platform.hpp"
#include "text.hpp"

namespace peoplesync::ldap_source {
namespace {

std::string key(std::string_view dn) {
    auto k = dn_key(dn);
    return k ? *k : "<not a DN>";
}

TEST(DnKey, SpellingsOfOneDnAreEqual) {
    const std::string jane = key("cn=Doe\\, Jane,ou=people,dc=example,dc=com");
    EXPECT_EQ(jane, "cn=doe\\, jane,ou=people,dc=example,dc=com");
    for (const char* spelling : {
             "CN=Doe\\, Jane,OU=People,DC=Example,DC=COM",          // case of types and values
             "cn=Doe\\2C Jane,ou=people,dc=example,dc=com",         // hex escape
             "cn=Doe\\2c Jane,ou=people,dc=example,dc=com",         // lower-case hex
             "cn = Doe\\, Jane , ou=people, dc=example, dc=com",    // spaces around separators
             "cn=Doe\\,  Jane,ou=people,dc=example,dc=com",         // a run of spaces in a value
             "commonName=Doe\\, Jane,ou=people,dc=example,dc=com",  // long name of the type
             "2.5.4.3=Doe\\, Jane,ou=people,dc=example,dc=com",     // OID of the type
             "cn=\\44oe\\, Jane,ou=people,dc=example,dc=com",       // any character may be escaped
             "cn=Doe\\, Jane,organizationalUnitName=people,domainComponent=example,dc=com",
         })
        EXPECT_EQ(key(spelling), jane) << spelling;
}

TEST(DnKey, DifferentDnsDiffer) {
    EXPECT_NE(key("cn=Doe\\, Jane,ou=people,dc=example,dc=com"), key("cn=Doe,cn=Jane,ou=people,dc=example,dc=com"));
    EXPECT_NE(key("uid=bob,ou=people,dc=example,dc=com"), key("uid=bob,ou=staff,dc=example,dc=com"));
    EXPECT_NE(key("uid=bob,ou=people,dc=example,dc=com"), key("cn=bob,ou=people,dc=example,dc=com"));
    EXPECT_NE(key("uid=bob+cn=x,dc=com"), key("uid=bob,cn=x,dc=com"));
}

TEST(DnKey, MultiValuedRdnsCompareInAnyOrder) {
    EXPECT_EQ(key("cn=Bob+uid=bob,dc=example,dc=com"), key("uid=BOB+cn=bob,dc=example,dc=com"));
}

TEST(DnKey, NonAsciiValuesArePreservedAndEscapesDecoded) {
    EXPECT_EQ(key("cn=Jos\\C3\\A9,dc=example,dc=com"), key("cn=José,dc=example,dc=com"));
    EXPECT_EQ(key("cn=José,dc=example,dc=com"), "cn=josé,dc=example,dc=com");
}

TEST(DnKey, WhatIsNotADnHasNoKey) {
    EXPECT_FALSE(dn_key("example.com"));
    EXPECT_FALSE(dn_key("uid=bob,,dc=com"));
    EXPECT_FALSE(dn_key("=bob"));
    EXPECT_TRUE(is_dn(""));
    EXPECT_TRUE(is_dn("dc=example,dc=com"));
    EXPECT_FALSE(is_dn("peoplesync"));
}

TEST(Text, Utf8IsTextAndBinaryIsNot) {
    EXPECT_EQ(find_non_text("plain ASCII"), std::string_view::npos);
    EXPECT_EQ(find_non_text("José 张伟 😀"), std::string_view::npos);
    EXPECT_EQ(find_non_text(std::string_view("ab\0c", 4)), 2u);  // NUL
    EXPECT_EQ(find_non_text("Caf\xC3"), 3u);                     // truncated
    EXPECT_EQ(find_non_text("\xC0\xAF"), 0u);                    // overlong
    EXPECT_EQ(find_non_text("a\xED\xA0\x80"), 1u);               // surrogate
    EXPECT_EQ(find_non_text("\xF4\x90\x80\x80"), 0u);            // beyond U+10FFFF
    EXPECT_EQ(find_non_text("\x89PNG"), 0u);
    EXPECT_EQ(hex_preview("\x89PNG", 2), "0x89 0x50 ...");
}

// The option table's defaults, with a server to bind to.
LdapSettings settings(std::int64_t page_size = 500) {
    ConfigValue required = ConfigValue::map();
    required.set("uri", ConfigValue::scalar("ldap://ldap.example.com"));
    required.set("base_dn", ConfigValue::scalar("ou=people,dc=example,dc=com"));
    LdapSettings s = ldap_options().read(required);
    s.uri = "ldap://ldap.example.com";
    s.bind_dn = "cn=peoplesync,ou=services,dc=example,dc=com";
    s.bind_password_env = "LDAP_PASSWORD";
    s.base_dn = "ou=people,dc=example,dc=com";
    s.page_size = page_size;
    return s;
}

Failure search(int code, std::int64_t entries = 0) {
    Failure f;
    f.step = Step::search;
    f.code = code;
    f.entries = entries;
    f.filter = "(objectClass=inetOrgPerson)";
    return f;
}

// The client library's words for a result code: OpenLDAP's, spelled out, on
// Linux; wldap32's own on Windows (Wine's differ from OpenLDAP's).
std::string words(int code, [[maybe_unused]] const std::string& openldap) {
#ifdef _WIN32
    return narrow(ldap_err2stringW(static_cast<ULONG>(code)));
#else
    static_cast<void>(code);
    return openldap;
#endif
}

TEST(Messages, ATimeLimitSaysTheReadIsDiscardedAndWhatToChange) {
    EXPECT_EQ(
        describe(settings(0), search(LDAP_TIMELIMIT_EXCEEDED, 1200)),
        "ldap://ldap.example.com: the server stopped the search at its time limit after 1200 entries "
        "(timeLimitExceeded); the read is incomplete and was discarded, nothing is synced from it. Turn paging on "
        "(page_size: 500) so that each request is short, or raise the server's time limit for "
        "\"cn=peoplesync,ou=services,dc=example,dc=com\"");
    EXPECT_EQ(describe(settings(), search(LDAP_TIMELIMIT_EXCEEDED, 1)),
              "ldap://ldap.example.com: the server stopped the search at its time limit after 1 entry "
              "(timeLimitExceeded); the read is incomplete and was discarded, nothing is synced from it. Raise the "
              "server's time limit for \"cn=peoplesync,ou=services,dc=example,dc=com\" (OpenLDAP: timelimit or limits "
              "... time; Active Directory: MaxQueryDuration), or use a smaller page_size");
}

TEST(Messages, ASizeLimitDespitePagingPointsAtTheServersPagedLimit) {
    EXPECT_EQ(describe(settings(), search(LDAP_SIZELIMIT_EXCEEDED, 1000)),
              "ldap://ldap.example.com: the server stopped the paged search at its size limit after 1000 entries "
              "(sizeLimitExceeded); the read is incomplete and was discarded, nothing is synced from it. The server "
              "limits paged searches too: raise that limit for \"cn=peoplesync,ou=services,dc=example,dc=com\" "
              "(OpenLDAP: limits ... size.prtotal=unlimited; Active Directory: MaxResultSetSize), or narrow base_dn "
              "and filter");
}

TEST(Messages, AServerWithoutPagingIsToldApart) {
    EXPECT_EQ(describe(settings(), search(LDAP_UNAVAILABLE_CRITICAL_EXTENSION)),
              "ldap://ldap.example.com: the server does not support paged results (RFC 2696) here (" +
                  words(LDAP_UNAVAILABLE_CRITICAL_EXTENSION, "Critical extension is unavailable") +
                  "); set page_size: 0 to read without paging");
}

TEST(Messages, AReferralNamesWhereItPoints) {
    Failure f = search(LDAP_REFERRAL);
    f.referral = "ldap://other.example.com/ou=people,dc=example,dc=com";
    EXPECT_EQ(describe(settings(), f),
              "ldap://ldap.example.com: base_dn \"ou=people,dc=example,dc=com\" is not held by this server; it refers "
              "to ldap://other.example.com/ou=people,dc=example,dc=com (peoplesync does not follow referrals: point "
              "uri at that server)");
}

TEST(Messages, AccessAndTlsRequirements) {
    Failure denied = search(LDAP_INSUFFICIENT_ACCESS);
    denied.diagnostic = "no read access";
    EXPECT_EQ(describe(settings(), denied),
              "ldap://ldap.example.com: \"cn=peoplesync,ou=services,dc=example,dc=com\" may not search base_dn "
              "\"ou=people,dc=example,dc=com\" (" +
                  words(LDAP_INSUFFICIENT_ACCESS, "Insufficient access") + ": no read access)");
    Failure tls;
    tls.step = Step::bind;
    tls.code = LDAP_CONFIDENTIALITY_REQUIRED;
    EXPECT_EQ(describe(settings(), tls),
              "ldap://ldap.example.com: the server refuses the bind as \"cn=peoplesync,ou=services,dc=example,dc=com\" "
              "without TLS (" +
                  words(LDAP_CONFIDENTIALITY_REQUIRED, "Confidentiality required") +
                  "); use an ldaps:// URI or start_tls: true");
}

TEST(Messages, AnythingElseKeepsTheServersWords) {
    Failure f = search(LDAP_BUSY, 10);
    f.diagnostic = "try again later";
    EXPECT_EQ(describe(settings(), f),
              "ldap://ldap.example.com: the search of base_dn \"ou=people,dc=example,dc=com\" with filter "
              "\"(objectClass=inetOrgPerson)\" failed after 10 entries (" +
                  words(LDAP_BUSY, "Server is busy") +
                  ": try again later); the read is incomplete and was discarded, nothing is synced from it");
}

}  // namespace
}  // namespace peoplesync::ldap_source
