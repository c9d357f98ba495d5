#include "dn.hpp"

#ifdef _WIN32
#include "dn_parser.hpp"  // wldap32 has no structured DN parser
#else
#include <ldap.h>
#endif

#include <algorithm>
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "text.hpp"

namespace peoplesync::ldap_source {

namespace {

// Names the same attribute type goes by in DNs, by its usual short name.
constexpr std::array<std::pair<std::string_view, std::string_view>, 24> type_aliases = {{
    {"commonname", "cn"},
    {"2.5.4.3", "cn"},
    {"surname", "sn"},
    {"2.5.4.4", "sn"},
    {"userid", "uid"},
    {"0.9.2342.19200300.100.1.1", "uid"},
    {"domaincomponent", "dc"},
    {"0.9.2342.19200300.100.1.25", "dc"},
    {"organizationalunitname", "ou"},
    {"2.5.4.11", "ou"},
    {"organizationname", "o"},
    {"2.5.4.10", "o"},
    {"countryname", "c"},
    {"2.5.4.6", "c"},
    {"localityname", "l"},
    {"2.5.4.7", "l"},
    {"stateorprovincename", "st"},
    {"2.5.4.8", "st"},
    {"streetaddress", "street"},
    {"2.5.4.9", "street"},
    {"emailaddress", "email"},
    {"1.2.840.113549.1.9.1", "email"},
    {"givenname", "givenname"},
    {"2.5.4.42", "givenname"},
}};

#ifndef _WIN32
struct DnDeleter {
    void operator()(LDAPDN dn) const { ldap_dnfree(dn); }
};
using DnPtr = std::unique_ptr<LDAPRDN, DnDeleter>;

DnPtr parse(std::string_view text) {
    // ldap_bv2dn reads a byte past bv_len (it expects a NUL there): a view
    // into a larger buffer would parse with what follows it.
    std::string terminated(text);
    berval bv{terminated.size(), terminated.data()};
    LDAPDN dn = nullptr;
    if (ldap_bv2dn(&bv, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
        if (dn != nullptr) ldap_dnfree(dn);
        return DnPtr();
    }
    return DnPtr(dn);
}

std::string_view view(const berval& bv) {
    return bv.bv_len == 0 ? std::string_view() : std::string_view(bv.bv_val, bv.bv_len);
}
#endif

std::string type_key(std::string_view type) {
    std::string folded = fold_ascii(type);
    if (folded.size() > 4 && folded.compare(0, 4, "oid.") == 0) folded.erase(0, 4);
    for (const auto& [alias, name] : type_aliases)
        if (folded == alias) return std::string(name);
    return folded;
}

// The value with its separators escaped so that the key parses back
// unambiguously, runs of spaces collapsed, ASCII folded.
void append_value(std::string& out, std::string_view value, bool binary) {
    if (binary) {
        out += '#';
        out += hex_preview(value, value.size());
        return;
    }
    const std::string_view trimmed = trim_spaces(value);
    bool space = false;
    for (char c : trimmed) {
        if (c == ' ') {
            space = true;
            continue;
        }
        if (space) out += ' ';
        space = false;
        if (c == ',' || c == '+' || c == '=' || c == '\\') out += '\\';
        out += fold(c);
    }
}

// One attribute of an RDN in the key: its type, '=', its value.
std::string ava_key(std::string_view type, std::string_view value, bool binary) {
    std::string one = type_key(type);
    one += '=';
    append_value(one, value, binary);
    return one;
}

// An RDN's attributes in the key, sorted (a multi-valued RDN's order is not
// significant), after a ',' unless it is the first; empties `avas`.
void append_rdn(std::string& key, std::vector<std::string>& avas) {
    if (!key.empty()) key += ',';
    std::sort(avas.begin(), avas.end());
    for (std::size_t i = 0; i < avas.size(); ++i) {
        if (i > 0) key += '+';
        key += avas[i];
    }
    avas.clear();
}

}  // namespace

#ifndef _WIN32

std::optional<std::string> dn_key(std::string_view dn) {
    DnPtr parsed = parse(dn);
    if (!parsed) {
        if (trim_spaces(dn).empty()) return std::string();
        return std::nullopt;
    }
    std::string key;
    key.reserve(dn.size());
    std::vector<std::string> avas;
    for (LDAPRDN* rdn = parsed.get(); *rdn != nullptr; ++rdn) {
        for (LDAPAVA** ava = *rdn; *ava != nullptr; ++ava)
            avas.push_back(
                ava_key(view((*ava)->la_attr), view((*ava)->la_value), ((*ava)->la_flags & LDAP_AVA_BINARY) != 0));
        append_rdn(key, avas);
    }
    return key;
}

bool is_dn(std::string_view dn) {
    return trim_spaces(dn).empty() || static_cast<bool>(parse(dn));
}

#else

// The same key from the portable parser, which gives what ldap_bv2dn gives
// (an empty list for the empty DN, as ldap_bv2dn gives no DN for it).
std::optional<std::string> dn_key(std::string_view dn) {
    const auto parsed = portable::parse_dn(dn);
    if (!parsed || parsed->empty()) {
        if (trim_spaces(dn).empty()) return std::string();
        return std::nullopt;
    }
    std::string key;
    key.reserve(dn.size());
    std::vector<std::string> avas;
    for (const portable::Rdn& rdn : *parsed) {
        for (const portable::Ava& ava : rdn) avas.push_back(ava_key(ava.type, ava.value, ava.binary));
        append_rdn(key, avas);
    }
    return key;
}

bool is_dn(std::string_view dn) {
    if (trim_spaces(dn).empty()) return true;
    const auto parsed = portable::parse_dn(dn);
    return parsed && !parsed->empty();
}

#endif

}  // namespace peoplesync::ldap_source
