// Text helpers sources need for every value they read, without allocating:
// UTF-8 validation, trimming, ASCII case folding (emails compare so).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace peoplesync {

// The offset of the first byte that does not belong to a well-formed UTF-8
// sequence (overlong forms and surrogates count as ill-formed), or npos.
std::size_t find_invalid_utf8(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view text);

inline bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// `text` without the white space around it.
inline std::string_view trim_view(std::string_view text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && is_blank(text[begin])) ++begin;
    while (end > begin && is_blank(text[end - 1])) --end;
    return text.substr(begin, end - begin);
}

inline char fold(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal but for the case of ASCII letters.
inline bool equal_folded(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (fold(a[i]) != fold(b[i])) return false;
    return true;
}

}  // namespace peoplesync
