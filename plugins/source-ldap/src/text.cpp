#include "text.hpp"

#include <cstdint>
#include <cstdio>

namespace peoplesync::ldap_source {

std::string fold_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = fold(c);
    return out;
}

std::size_t find_non_text(std::string_view value) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(value.data());
    const std::size_t n = value.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = bytes[i];
        if (c < 0x80) {
            if (c == 0) return i;
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint32_t code = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
            code = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            code = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            code = c & 0x07u;
        } else {
            return i;
        }
        if (i + length > n) return i;
        for (std::size_t k = 1; k < length; ++k) {
            if ((bytes[i + k] & 0xC0u) != 0x80u) return i;
            code = (code << 6) | (bytes[i + k] & 0x3Fu);
        }
        if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF)) ||
            (code >= 0xD800 && code <= 0xDFFF))
            return i;
        i += length;
    }
    return std::string_view::npos;
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
