// dn_key() and is_dn() read only the text they are given: a DN viewed in a
// larger buffer (an origin inside a snapshot's users) keys as the same text
// alone would. libldap's parser reads past the length it is given. Found by
// fuzz_ldap_dn.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dn.hpp"

namespace peoplesync::ldap_source {
namespace {

TEST(DnView, WhatFollowsTheViewNeverChangesTheKey) {
    for (const std::string buffer : {"cn=a+ou=b", "cn=a,ou=b", "cn=a\\,b", "cn=a\\2C", "cn=\\41x"}) {
        for (std::size_t n = 0; n <= buffer.size(); ++n) {
            const std::string_view view = std::string_view(buffer).substr(0, n);
            const std::string alone(view);
            EXPECT_EQ(dn_key(view), dn_key(alone)) << "\"" << alone << "\" in \"" << buffer << "\"";
            EXPECT_EQ(is_dn(view), is_dn(alone)) << "\"" << alone << "\" in \"" << buffer << "\"";
        }
    }
    EXPECT_EQ(dn_key(std::string_view("cn=a+ou=b").substr(0, 4)), "cn=a");
}

}  // namespace
}  // namespace peoplesync::ldap_source
