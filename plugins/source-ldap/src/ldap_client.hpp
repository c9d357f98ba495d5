// A connection to one directory server through OpenLDAP's libldap: connect,
// TLS, simple bind, and searches that hand each entry over as it arrives.
// Every libldap call lives in ldap_client.cpp; failures throw
// peoplesync::Error with a message from ldap_errors.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <lber.h>

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
    class Watchdog;  // bounds the waits libldap does not bound itself

    [[noreturn]] void fail(Failure failure) const;
    std::string diagnostic() const;
    int result_code() const;
    std::chrono::seconds backstop() const;
    int request_page(const std::string& filter, std::vector<char*>& attributes, const berval& cookie, Failure& failure);
    void deliver(struct ldapmsg* entry, SearchHandler& handler, Failure& failure);

    const LdapSettings& settings_;
    // Declared before ld_: the handle's callbacks use it until it is freed.
    std::unique_ptr<Watchdog> watchdog_;
    struct ldap* ld_ = nullptr;
    std::vector<Attribute> attributes_;  // reused for every entry
    std::vector<berval*> value_arrays_;  // likewise
    std::int64_t references_ = 0;
};

}  // namespace peoplesync::ldap_source
