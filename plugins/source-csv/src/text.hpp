// Text checks the csv source needs per cell; the general ones are the SDK's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <peoplesync/text.hpp>

#include "hash.hpp"

namespace peoplesync::csv {

using peoplesync::equal_folded;
using peoplesync::find_invalid_utf8;
using peoplesync::fold;
using peoplesync::is_blank;
using peoplesync::replace_invalid_utf8;

// Cells lose the white space around them: exports pad values, and the
// schema's values never start or end with it.
inline std::string_view trim_blanks(std::string_view text) {
    return trim_view(text);
}

inline std::size_t hash_folded(std::string_view text) {
    return static_cast<std::size_t>(hash::folded(text));
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

}  // namespace peoplesync::csv
