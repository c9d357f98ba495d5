#include "text.hpp"

#include <cstdio>

namespace peoplesync::ldap_source {

std::string fold_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = fold(c);
    return out;
}

std::size_t find_non_text(std::string_view value) {
    // NUL is valid UTF-8 but never text in a directory value.
    const std::size_t nul = value.find('\0');
    const std::size_t invalid = find_invalid_utf8(value.substr(0, nul));
    return invalid != std::string_view::npos ? invalid : nul;
}

std::string hex_preview(std::string_view value, std::size_t bytes) {
    std::string out;
    for (std::size_t i = 0; i < value.size() && i < bytes; ++i) {
        char byte[8];
        std::snprintf(byte, sizeof byte, "%s0x%02X", i == 0 ? "" : " ",
                      static_cast<unsigned>(static_cast<unsigned char>(value[i])));
        out += byte;
    }
    if (value.size() > bytes) out += " ...";
    return out;
}

}  // namespace peoplesync::ldap_source
