#include "ldap_url.hpp"

#include <cstdlib>

// The rules below follow ldap_url_parse_ext() of OpenLDAP's
// libraries/libldap/url.c with LDAP_PVT_URL_PARSE_HISTORIC (an empty host
// is no host, a missing port is the scheme's default, an empty DN is ""),
// including its quirks: "<...>" and "URL:" are tolerated around the URL, a
// '?' with no '/' before it ends the URL (the "Novell kludge"), and a bad
// %-escape empties the part it is in.

namespace peoplesync::ldap_source::portable {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_folded(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lower(text[i]) != prefix[i]) return false;
    return true;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

int unhex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
}

// ldap_pvt_hex_unescape(): %XX decoded; a '%' not followed by two hex
// digits empties the whole string.
std::string unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return std::string();
        out += static_cast<char>((unhex(text[i + 1]) << 4) | unhex(text[i + 2]));
        i += 2;
    }
    return out;
}

// "ldap://" and the others, after an optional '<' and "URL:".
struct Prefix {
    std::string_view prefix;
    std::string_view scheme;
};
constexpr Prefix prefixes[] = {
    {"ldap://", "ldap"}, {"pldap://", "pldap"}, {"ldaps://", "ldaps"}, {"pldaps://", "pldaps"}, {"ldapi://", "ldapi"},
};

}  // namespace

std::optional<LdapUrl> parse_ldap_url(std::string_view text) {
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    std::string_view rest = text;
    const bool enclosed = !rest.empty() && rest.front() == '<';
    if (enclosed) rest.remove_prefix(1);
    if (starts_with_folded(rest, "url:")) rest.remove_prefix(4);
    LdapUrl url;
    bool known = false;
    for (const Prefix& p : prefixes) {
        if (starts_with_folded(rest, p.prefix)) {
            rest.remove_prefix(p.prefix.size());
            url.scheme = p.scheme;
            known = true;
            break;
        }
    }
    if (!known) return std::nullopt;
    if (enclosed) {
        if (rest.empty() || rest.back() != '>') return std::nullopt;
        rest.remove_suffix(1);
    }

    // The host and port end at the first '/' (then the DN follows) or,
    // without one, at the first '?' (and the rest is ignored).
    std::string_view hostport = rest;
    std::optional<std::string_view> after_slash;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        hostport = rest.substr(0, slash);
        after_slash = rest.substr(slash + 1);
    } else if (const auto question = rest.find('?'); question != std::string_view::npos) {
        hostport = rest.substr(0, question);
    }

    const bool ipc = url.scheme == "ldapi";
    std::string_view host = hostport;
    if (!ipc) {
        std::optional<std::string_view> port;
        if (!hostport.empty() && hostport.front() == '[') {
            const auto close = hostport.find(']');
            if (close == std::string_view::npos) return std::nullopt;
            const std::string_view after = hostport.substr(close + 1);
            const auto colon = after.find(':');
            if (colon != std::string_view::npos && colon != 0) return std::nullopt;
            if (colon != std::string_view::npos) port = after.substr(1);
            host = hostport.substr(1, close - 1);
            url.ipv6 = true;
        } else if (const auto colon = hostport.find(':'); colon != std::string_view::npos) {
            port = hostport.substr(colon + 1);
            host = hostport.substr(0, colon);
        }
        if (port) {
            const std::string digits = unescape(*port);
            if (digits.empty()) return std::nullopt;
            char* next = nullptr;
            url.port = std::strtol(digits.c_str(), &next, 10);
            if (next == digits.c_str() || *next != '\0') return std::nullopt;
        }
        if (url.port == 0) url.port = url.scheme == "ldaps" ? 636 : 389;
    }
    std::string decoded = unescape(host);
    if (!decoded.empty()) url.host = std::move(decoded);

    if (!after_slash) return url;
    std::string_view part = *after_slash;
    auto next_part = [&part]() {
        const auto question = part.find('?');
        const std::string_view here = part.substr(0, question);
        part = question == std::string_view::npos ? std::string_view() : part.substr(question + 1);
        return std::make_pair(here, question != std::string_view::npos);
    };

    auto [dn, more] = next_part();
    url.dn = unescape(dn);
    if (!more) return url;

    auto [attributes, more_after_attributes] = next_part();
    // ldap_str2charray() makes a list, perhaps of no names, of anything.
    if (!attributes.empty()) url.attributes = true;
    if (!more_after_attributes) return url;

    auto [scope, more_after_scope] = next_part();
    if (!scope.empty()) {
        std::string folded;
        for (char c : unescape(scope)) folded += lower(c);
        if (folded != "one" && folded != "onelevel" && folded != "base" && folded != "sub" && folded != "subtree" &&
            folded != "subord" && folded != "subordinate" && folded != "children")
            return std::nullopt;
    }
    if (!more_after_scope) return url;

    auto [filter, more_after_filter] = next_part();
    if (!filter.empty()) {
        std::string decoded_filter = unescape(filter);
        if (decoded_filter.empty()) return std::nullopt;
        url.filter = std::move(decoded_filter);
    }
    if (!more_after_filter) return url;

    // Extensions: one or more, and no further '?'.
    if (part.find('?') != std::string_view::npos) return std::nullopt;
    if (part.find_first_not_of(',') == std::string_view::npos) return std::nullopt;
    return url;
}

}  // namespace peoplesync::ldap_source::portable
