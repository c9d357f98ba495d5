// An LDAP URL parser that needs no LDAP library: what OpenLDAP's
// ldap_url_parse() makes of a URL (RFC 4516, with its historic flags),
// reproduced for Windows, where wldap32 has no URL parser. Linux keeps
// calling libldap; the tests compare the two there
// (tests/portable_parsers_test.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace peoplesync::ldap_source::portable {

struct LdapUrl {
    std::string scheme;               // lower case: ldap, ldaps, pldap, pldaps or ldapi
    std::optional<std::string> host;  // %-escapes decoded, without IPv6 brackets; nothing when empty
    bool ipv6 = false;                // the host was written in brackets
    long port = 0;                    // as written, or the scheme's default (389, 636 for ldaps)
    std::optional<std::string> dn;    // after '/', decoded; "" for "ldap://host/"
    bool attributes = false;          // a non-empty attribute list after the first '?'
    std::optional<std::string> filter;
};

// Nothing when ldap_url_parse() refuses `text`.
std::optional<LdapUrl> parse_ldap_url(std::string_view text);

}  // namespace peoplesync::ldap_source::portable
