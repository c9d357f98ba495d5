// A DN parser that needs no LDAP library: the grammar OpenLDAP's
// ldap_bv2dn() accepts with LDAP_DN_FORMAT_LDAPV3 (RFC 4514, not pedantic),
// reproduced rule for rule, so that dn.cpp gives the same keys on Windows,
// where wldap32 has no structured DN parser, as over libldap on Linux.
// Linux keeps calling libldap; the tests compare the two there
// (tests/portable_parsers_test.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peoplesync::ldap_source::portable {

struct Ava {
    std::string type;     // as written ("CN", "2.5.4.3"); options after ';' dropped
    std::string value;    // escapes decoded; for "#hex" the bytes
    bool binary = false;  // the value was written "#hex" (LDAP_AVA_BINARY)
};
using Rdn = std::vector<Ava>;

// The RDNs of `text`, first to last; an empty list for the empty DN;
// nothing when ldap_bv2dn(LDAP_DN_FORMAT_LDAPV3) refuses it.
std::optional<std::vector<Rdn>> parse_dn(std::string_view text);

}  // namespace peoplesync::ldap_source::portable
