// Hashed containers of std::string keys that are looked up by any text (a
// std::string_view, a UserView's peoplesync::Text) without making a
// std::string of it first:
//   std::unordered_map<std::string, V, TextHash, std::equal_to<>>
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace peoplesync {

struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

}  // namespace peoplesync
