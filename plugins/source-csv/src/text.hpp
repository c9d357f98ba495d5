// Text checks the csv source needs per cell, without allocating: trimming,
// ASCII case folding for value maps and emails, and UTF-8 validation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace peoplesync::csv {

inline bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Cells lose the white space around them: exports pad values, and the
// schema's values never start or end with it.
inline std::string_view trim_blanks(std::string_view text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && is_blank(text[begin])) ++begin;
    while (end > begin && is_blank(text[end - 1])) --end;
    return text.substr(begin, end - begin);
}

inline char fold(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool equal_folded(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (fold(a[i]) != fold(b[i])) return false;
    return true;
}

// FNV-1a over the case-folded bytes.
inline std::size_t hash_folded(std::string_view text) {
    std::uint64_t h = 1469598103934665603ull;
    for (char c : text) {
        h ^= static_cast<unsigned char>(fold(c));
        h *= 1099511628211ull;
    }
    return static_cast<std::size_t>(h);
}

// Hash and equality for unordered containers keyed case-insensitively, with
// lookups by string_view.
struct FoldedHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return hash_folded(text); }
};
struct FoldedEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return equal_folded(a, b); }
};

// The offset of the first byte that does not belong to a well-formed UTF-8
// sequence (overlong forms and surrogates included), or npos.
std::size_t find_invalid_utf8(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD, so that what a
// source hands over can always be written as JSON.
std::string replace_invalid_utf8(std::string_view text);

}  // namespace peoplesync::csv
