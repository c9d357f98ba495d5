// Distinguished names compared the way a directory compares them: the same
// entry may be written "uid=Bob, OU=People,dc=example,dc=com" in one place
// and "UID=bob,ou=people,DC=Example,DC=com" in another.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace peoplesync::ldap_source {

// A key under which every spelling of one DN is equal: attribute types in
// lower case with their common long names and OIDs replaced by the short
// name (commonName -> cn, 2.5.4.11 -> ou), escapes decoded (\, and \2C are
// one comma), spaces around separators dropped, runs of spaces inside a
// value made one, values folded to lower case (ASCII letters only: the
// case-insensitive matching rules of cn, ou, uid, dc), the AVAs of a
// multi-valued RDN sorted. Nothing when `dn` is not a DN (RFC 4514).
std::optional<std::string> dn_key(std::string_view dn);

// True when `dn` parses as a DN. The empty DN (the root) is one.
bool is_dn(std::string_view dn);

}  // namespace peoplesync::ldap_source
