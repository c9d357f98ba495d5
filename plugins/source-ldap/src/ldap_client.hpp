// A connection to one directory server: connect, TLS, simple bind, and
// searches that hand each entry over as it arrives. On Linux through
// OpenLDAP's libldap, every call of which lives in ldap_client.cpp; on
// Windows through Windows' own client, wldap32, in ldap_client_windows.cpp.
// Failures throw peoplesync::Error with a message from ldap_errors.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#ifdef _WIN32
#include "winldap_api.hpp"  // struct berval, LDAP (struct ldap), LDAPMessage (struct ldapmsg)
#else
#include <lber.h>
#endif

#include <peoplesync/error.hpp>

#include "ldap_errors.hpp"
#include "ldap_settings.hpp"

struct ldap;
struct ldapmsg;

namespace peoplesync::ldap_source {

// One attribute of an entry as received: its description as the server
// wrote it and its values, both pointing into the received message.
struct Attribute {
    std::string_view name;
    std::span<const berval> values;
};

std::string_view value_text(const berval& value);

class SearchHandler {
public:
    virtual ~SearchHandler();
    // Called for each entry as it arrives; the views are valid during the call.
    virtual void entry(std::string_view dn, std::span<const Attribute> attributes) = 0;
    // Called when a page is complete (or every few thousand entries without
    // paging), with the entries this search has delivered so far.
    virtual void progress(std::int64_t entries) = 0;
};

class LdapClient {
public:
    explicit LdapClient(const LdapSettings& settings);
    ~LdapClient();
    LdapClient(const LdapClient&) = delete;
    LdapClient& operator=(const LdapClient&) = delete;

    // Connects, starts TLS if configured, and binds (anonymously when there
    // is no bind DN).
    void open(const std::string& password);

    // Searches base_dn with `filter`, asking for `attributes` ("1.1": none),
    // page by page when page_size > 0. Returns when the server has said the
    // search is complete; throws on anything else. Returns the entry count.
    std::int64_t search(const std::string& filter, const std::string& filter_option,
                        const std::vector<std::string>& attributes, SearchHandler& handler);

    // Search continuation references seen (referrals not followed).
    std::int64_t references() const { return references_; }

private:
#ifndef _WIN32
    class Watchdog;  // bounds the waits libldap does not bound itself
#endif

    [[noreturn]] void fail(Failure failure) const;
    std::string diagnostic() const;
    int result_code() const;
#ifndef _WIN32
    std::chrono::seconds backstop() const;
    int request_page(const std::string& filter, std::vector<char*>& attributes, const berval& cookie, Failure& failure);
#endif
    void deliver(struct ldapmsg* entry, SearchHandler& handler, Failure& failure);

    const LdapSettings& settings_;
#ifndef _WIN32
    // Declared before ld_: the handle's callbacks use it until it is freed.
    std::unique_ptr<Watchdog> watchdog_;
#endif
    struct ldap* ld_ = nullptr;
    std::vector<Attribute> attributes_;  // reused for every entry
#ifdef _WIN32
    // wldap32 gives an entry's DN and attribute names as UTF-16 and each
    // attribute's values as an array of pointers: the entry is converted
    // into these, reused for every entry, for the views handed over.
    std::string dn_;
    std::vector<std::string> names_;
    std::vector<berval> values_;
    std::vector<std::size_t> value_counts_;
    std::vector<berval**> value_arrays_;
#else
    std::vector<berval*> value_arrays_;  // likewise
#endif
    std::int64_t references_ = 0;
};

}  // namespace peoplesync::ldap_source
