// What the user reads when the directory cannot be read: a sentence with the
// URI (and the DN or filter at fault) and what to do about it. Kept apart
// from the connection code so that every case can be tested without a
// server that misbehaves on cue.
#pragma once

#include <cstdint>
#include <string>

#include "ldap_settings.hpp"

namespace peoplesync::ldap_source {

enum class Step { connect, start_tls, bind, search };

struct Failure {
    Step step = Step::search;
    int code = 0;                          // an LDAP result code or a libldap error (negative)
    std::string diagnostic;                // the server's or libldap's own words, if any
    std::string matched_dn;                // for noSuchObject: the nearest entry that exists
    std::string referral;                  // for referrals: where the server points
    std::string filter;                    // the filter that was sent
    std::string filter_option = "filter";  // the option it comes from
    std::int64_t entries = 0;              // entries read by the failing search before it failed
    std::uint32_t system_error = 0;        // Windows: the Winsock or SSPI error behind a failed connection
};

std::string describe(const LdapSettings& settings, const Failure& failure);

}  // namespace peoplesync::ldap_source
