#include <peoplesync/text.hpp>

#include <cstdint>
#include <cstring>

namespace peoplesync {

namespace {

// The length of the well-formed sequence at text[i], or 0 (Unicode 15,
// table 3-7).
std::size_t sequence_length(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) return 1;
    const std::size_t left = text.size() - i;
    auto cont = [&](std::size_t k, unsigned char low = 0x80, unsigned char high = 0xBF) {
        return byte(i + k) >= low && byte(i + k) <= high;
    };
    if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (left < 3) return 0;
        const unsigned char low = b0 == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
        const unsigned char high = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
        return cont(1, low, high) && cont(2) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (left < 4) return 0;
        const unsigned char low = b0 == 0xF0 ? 0x90 : 0x80;
        const unsigned char high = b0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
        return cont(1, low, high) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

bool all_ascii(std::string_view text) {
    // Eight bytes at a time: most cells of most exports are ASCII.
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, text.data() + i, 8);
        if ((word & 0x8080808080808080ull) != 0) return false;
    }
    for (; i < text.size(); ++i)
        if (static_cast<unsigned char>(text[i]) >= 0x80) return false;
    return true;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) {
    if (all_ascii(text)) return std::string_view::npos;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = sequence_length(text, i);
        if (n == 0) return i;
        i += n;
    }
    return std::string_view::npos;
}

std::string replace_invalid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = sequence_length(text, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(text, i, n);
            i += n;
        }
    }
    return out;
}

}  // namespace peoplesync
