#include "ldap_errors.hpp"

#ifdef _WIN32
#include "platform.hpp"
#include "winldap_api.hpp"
#else
#include <netdb.h>
#include <strings.h>
#include <unistd.h>

#include <ldap.h>
#endif

namespace peoplesync::ldap_source {

namespace {

#ifndef _WIN32
std::string libldap_words(int code) {
    const char* words = ldap_err2string(code);
    return words != nullptr ? words : "error " + std::to_string(code);
}
#else
// wldap32's words, as UTF-8 (ldap_err2stringA gives the ANSI code page).
std::string libldap_words(int code) {
    const std::string words = narrow(ldap_err2stringW(static_cast<ULONG>(code)));
    return !words.empty() ? words : "error " + std::to_string(code);
}
#endif

// "Invalid credentials (49; the server said: ...)" — the code's name and
// whatever the server added.
std::string details(const Failure& f) {
    std::string out = libldap_words(f.code);
    if (!f.diagnostic.empty() && f.diagnostic != out) out += ": " + f.diagnostic;
    return out;
}

std::string who(const LdapSettings& s) {
    return s.bind_dn.empty() ? std::string("anonymous") : "\"" + s.bind_dn + "\"";
}

std::string after(const Failure& f) {
    return " after " + std::to_string(f.entries) + (f.entries == 1 ? " entry" : " entries");
}

const char* const discarded = "; the read is incomplete and was discarded, nothing is synced from it";

// A connection (and its TLS handshake) that did not complete in time, on
// either client library.
std::string no_connection_in_time(const LdapSettings& s) {
    return s.uri + ": no connection within " + std::to_string(s.connect_timeout_secs) + " s (connect_timeout_secs" +
           (s.ldaps ? std::string(", for the TCP connection and the TLS handshake") : std::string()) +
           "); check the host and port in uri and any firewall in between";
}

#ifndef _WIN32
bool names_localhost(const std::string& uri) {
    LDAPURLDesc* url = nullptr;
    if (ldap_url_parse(uri.c_str(), &url) != LDAP_URL_SUCCESS || url == nullptr) return false;
    const bool local = url->lud_host != nullptr && ::strcasecmp(url->lud_host, "localhost") == 0;
    ldap_free_urldesc(url);
    return local;
}

// The name libldap puts in the place of "localhost" when it checks a
// certificate: the machine's host name, made canonical by the resolver.
std::string machine_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "?";
    std::string out = name;
    addrinfo hints{};
    hints.ai_flags = AI_CANONNAME;
    addrinfo* found = nullptr;
    if (::getaddrinfo(name, nullptr, &hints, &found) == 0 && found != nullptr) {
        if (found->ai_canonname != nullptr) out = found->ai_canonname;
        ::freeaddrinfo(found);
    }
    return out;
}

// libldap leaves no diagnostic when the TCP connection fails and one when
// the TLS handshake does; GnuTLS has no words for a refused certificate.
std::string connect_failure(const LdapSettings& s, const Failure& f) {
    const std::string& uri = s.uri;
    if (f.code == LDAP_TIMEOUT) return no_connection_in_time(s);
    const bool tls = s.ldaps || f.step == Step::start_tls;
    if (!tls || f.diagnostic.empty())
        return uri + ": cannot connect to the server (" + details(f) +
               "); check the host and port in uri and that the server is running";
    if (f.diagnostic != "(unknown error code)" || !s.verify_certificate)
        return uri + ": the TLS handshake failed (" + f.diagnostic + ")" +
               (s.ldaps ? "; check that the port in uri speaks ldaps:// (636), not ldap:// (389)" : std::string());
    if (names_localhost(uri)) {
        const std::string machine = machine_name();
        return uri +
               ": the TLS handshake failed: the server's certificate was refused. libldap checks the certificate of "
               "a server named localhost against this machine's name, \"" +
               machine +
               "\", so a certificate for localhost does not pass: write 127.0.0.1 in uri instead of localhost (the "
               "certificate must name IP address 127.0.0.1), or " +
               machine + " (the certificate must name it). Otherwise the certificate is not signed by " +
               (s.ca_file.empty() ? "a CA the system trusts; if it is signed by a private CA, give that CA's "
                                    "certificate in ca_file"
                                  : "a CA in ca_file " + s.ca_file);
    }
    if (!s.ca_file.empty())
        return uri +
               ": the TLS handshake failed: the server's certificate was refused (it is not signed by a CA in "
               "ca_file " +
               s.ca_file + ", or not issued for the host name in uri)";
    return uri +
           ": the TLS handshake failed: the server's certificate was refused (it is not signed by a CA the "
           "system trusts, or not issued for the host name in uri); if it is signed by a private CA, give that "
           "CA's certificate in ca_file";
}
#else
// The certificate errors of SSPI and CryptoAPI (SEC_E_*, CERT_E_*,
// CRYPT_E_* revocation).
bool is_certificate_error(std::uint32_t code) {
    switch (code) {
        case 0x80090325:  // SEC_E_UNTRUSTED_ROOT
        case 0x80090322:  // SEC_E_WRONG_PRINCIPAL
        case 0x80090327:  // SEC_E_CERT_UNKNOWN
        case 0x80090328:  // SEC_E_CERT_EXPIRED
        case 0x80090349:  // SEC_E_CERT_WRONG_USAGE
        case 0x800B0101:  // CERT_E_EXPIRED
        case 0x800B0109:  // CERT_E_UNTRUSTEDROOT
        case 0x800B010A:  // CERT_E_CHAINING
        case 0x800B010C:  // CERT_E_REVOKED
        case 0x800B010F:  // CERT_E_CN_NO_MATCH
        case 0x80092012:  // CRYPT_E_NO_REVOCATION_CHECK
        case 0x80092013:  // CRYPT_E_REVOCATION_OFFLINE
            return true;
        default:
            return false;
    }
}

// wldap32 has no diagnostic text for a failed connection; the Winsock or
// SSPI error behind it (f.system_error) says more. Windows checks the
// certificate against its certificate store and the host name as written
// in uri (localhost included).
std::string connect_failure(const LdapSettings& s, const Failure& f) {
    const std::string& uri = s.uri;
    if (f.code == LDAP_TIMEOUT) return no_connection_in_time(s);
    const bool tls = s.ldaps || f.step == Step::start_tls;
    const std::string system = system_message(f.system_error);
    const std::string words = system.empty() ? details(f) : details(f) + "; " + system;
    if (tls && is_certificate_error(f.system_error))
        return uri + ": the TLS handshake failed: the server's certificate was refused (" + system +
               "). Windows checks it against the Windows certificate store and the host name in uri: if it is "
               "signed by a private CA, import that CA's certificate into Trusted Root Certification Authorities "
               "(certutil -addstore Root ca.pem, as an administrator), and write in uri the host name the "
               "certificate is issued for";
    // SSPI errors are HRESULTs (0x8009...), Winsock's are 10000 and up.
    if (tls && (f.system_error & 0x80000000u) != 0)
        return uri + ": the TLS handshake failed (" + words + ")" +
               (s.ldaps ? "; check that the port in uri speaks ldaps:// (636), not ldap:// (389)" : std::string());
    return uri + ": cannot connect to the server (" + words +
           "); check the host and port in uri and that the server is running";
}
#endif

std::string bind_failure(const LdapSettings& s, const Failure& f) {
    const std::string& uri = s.uri;
    const std::string as = s.bind_dn.empty() ? std::string("an anonymous bind") : "the bind as \"" + s.bind_dn + "\"";
    switch (f.code) {
        case LDAP_INVALID_CREDENTIALS:
            return uri + ": the server refused " + as + ": invalid credentials (" + details(f) +
                   "); check the password in the environment variable " + s.bind_password_env +
                   " and that bind_dn exists";
        case LDAP_CONFIDENTIALITY_REQUIRED:
        case LDAP_STRONG_AUTH_REQUIRED:
            return uri + ": the server refuses " + as + " without TLS (" + details(f) +
                   "); use an ldaps:// URI or start_tls: true";
        case LDAP_TIMEOUT:
            return uri + ": no answer to " + as + " within " + std::to_string(s.timeout_secs) + " s (timeout_secs)";
        case LDAP_SERVER_DOWN:
            return uri + ": the connection was lost during " + as + " (" + details(f) + ")";
        default:
            return uri + ": the server refused " + as + " (" + details(f) + ")";
    }
}

std::string search_failure(const LdapSettings& s, const Failure& f) {
    const std::string& uri = s.uri;
    const bool paging = s.page_size > 0;
    const std::string base = "base_dn \"" + s.base_dn + "\"";
    switch (f.code) {
        case LDAP_NO_SUCH_OBJECT:
            return uri + ": " + base + " does not exist (noSuchObject" +
                   (f.matched_dn.empty() ? std::string()
                                         : "; the nearest entry that does is \"" + f.matched_dn + "\"") +
                   ")";
        case LDAP_INVALID_DN_SYNTAX:
            return uri + ": the server does not accept " + base + " as a DN (" + details(f) + ")";
        case LDAP_REFERRAL:
            return uri + ": " + base + " is not held by this server" +
                   (f.referral.empty() ? std::string() : "; it refers to " + f.referral) +
                   " (peoplesync does not follow referrals: point uri at that server)";
        case LDAP_FILTER_ERROR:
            return uri + ": " + f.filter_option + " \"" + f.filter +
                   "\" is not a valid LDAP filter (RFC 4515), e.g. (&(objectClass=inetOrgPerson)(mail=*))";
        case LDAP_INAPPROPRIATE_MATCHING:
        case LDAP_UNDEFINED_TYPE:
            return uri + ": the server refused " + f.filter_option + " \"" + f.filter + "\" (" + details(f) + ")";
        case LDAP_SIZELIMIT_EXCEEDED:
            if (!paging)
                return uri + ": the server stopped the search at its size limit" + after(f) + " (sizeLimitExceeded)" +
                       discarded + ". Turn paging on (page_size: 500) or raise the server's size limit for " + who(s);
            return uri + ": the server stopped the paged search at its size limit" + after(f) + " (sizeLimitExceeded)" +
                   discarded + ". The server limits paged searches too: raise that limit for " + who(s) +
                   " (OpenLDAP: limits ... size.prtotal=unlimited; Active Directory: MaxResultSetSize), or narrow "
                   "base_dn and filter";
        case LDAP_TIMELIMIT_EXCEEDED:
            if (!paging)
                return uri + ": the server stopped the search at its time limit" + after(f) + " (timeLimitExceeded)" +
                       discarded + ". Turn paging on (page_size: 500) so that each request is short, or raise the " +
                       "server's time limit for " + who(s);
            return uri + ": the server stopped the search at its time limit" + after(f) + " (timeLimitExceeded)" +
                   discarded + ". Raise the server's time limit for " + who(s) +
                   " (OpenLDAP: timelimit or limits ... time; Active Directory: MaxQueryDuration), or use a smaller "
                   "page_size";
        case LDAP_ADMINLIMIT_EXCEEDED:
            return uri + ": the server stopped the search at an administrative limit" + after(f) + " (" + details(f) +
                   ")" + discarded + "." +
                   (paging ? std::string(" Raise the limit for ") + who(s) + " or narrow base_dn and filter"
                           : std::string(" Turn paging on (page_size: 500), raise the limit or narrow the filter"));
        case LDAP_UNAVAILABLE_CRITICAL_EXTENSION:
            return uri + ": the server does not support paged results (RFC 2696) here (" + details(f) +
                   "); set page_size: 0 to read without paging";
        case LDAP_INSUFFICIENT_ACCESS:
            return uri + ": " + who(s) + " may not search " + base + " (" + details(f) + ")";
        case LDAP_SERVER_DOWN:
            return uri + ": the connection was lost" + after(f) + " (" + details(f) + ")" + discarded;
        case LDAP_TIMEOUT:
            return uri + ": no answer from the server within " + std::to_string(s.timeout_secs) + " s (timeout_secs)" +
                   after(f) + discarded;
        case LDAP_DECODING_ERROR:
            return uri + ": the server sent a message that cannot be decoded" + after(f) + discarded;
        default:
            return uri + ": the search of " + base + " with " + f.filter_option + " \"" + f.filter + "\" failed" +
                   after(f) + " (" + details(f) + ")" + discarded;
    }
}

}  // namespace

std::string describe(const LdapSettings& settings, const Failure& failure) {
    switch (failure.step) {
        case Step::connect:
            return connect_failure(settings, failure);
        case Step::start_tls:
            if (failure.code == LDAP_TIMEOUT)
                return settings.uri + ": no answer to StartTLS within " + std::to_string(settings.timeout_secs) +
                       " s (timeout_secs)";
            if (failure.code == LDAP_CONNECT_ERROR || failure.code == LDAP_SERVER_DOWN) {
                Failure handshake = failure;
#ifndef _WIN32
                if (handshake.diagnostic.empty()) handshake.diagnostic = "(unknown error code)";
#endif
                return connect_failure(settings, handshake);
            }
            return settings.uri + ": StartTLS failed (" + details(failure) +
                   "); the server may not offer it: use an ldaps:// URI, or configure TLS on the server";
        case Step::bind:
            return bind_failure(settings, failure);
        case Step::search:
            return search_failure(settings, failure);
    }
    return settings.uri + ": " + details(failure);
}

}  // namespace peoplesync::ldap_source
