// Hashed containers of std::string keys that are looked up by any text (a
// std::string_view, a UserView's peoplesync::Text) without making a
// std::string of it first:
//   std::unordered_map<std::string, V, TextHash, std::equal_to<>>
#pragma once

#include <cstddef>
#include <string_view>

#include "hash.hpp"

namespace peoplesync {

struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return static_cast<std::size_t>(hash::bytes(text)); }
};

}  // namespace peoplesync
