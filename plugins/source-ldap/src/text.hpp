// Small text checks the ldap source needs per value, without allocating.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <peoplesync/text.hpp>

namespace peoplesync::ldap_source {

using peoplesync::equal_folded;
using peoplesync::fold;

std::string fold_ascii(std::string_view text);

// Spaces and tabs around a value, not line ends.
inline std::string_view trim_spaces(std::string_view text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
    while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
    return text.substr(begin, end - begin);
}

// The offset of the first byte that is not part of well-formed UTF-8 text
// (overlong forms, surrogates and NUL count as not text), or npos.
std::size_t find_non_text(std::string_view value);

// "0x89 0x50 0x4E ..." for the first bytes of a value that is not text.
std::string hex_preview(std::string_view value, std::size_t bytes = 8);

}  // namespace peoplesync::ldap_source
