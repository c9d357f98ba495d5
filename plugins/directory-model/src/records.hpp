// A directory user's values as its database rows hold them, the same in
// both directory sinks: the text columns a field is stored in, a user's
// texts in column order, and the lists stored as text.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/model.hpp>

#include "text_columns.hpp"

namespace peoplesync::directory_model {

// The user columns a field is stored in (text_columns()); profile_image
// spans three.
const std::map<std::string, std::vector<std::string>, std::less<>>& field_columns();
std::string_view column_value(const UserView& user, std::string_view column);
// A user's texts in for_each_text's order (TextColumn::text).
std::array<std::string_view, field_texts> texts_of(const UserView& user);

// Now, as the directories write times (ISO 8601, UTC).
std::string now_text();

// "a,b" -> {"a", "b"}; "" -> {}.
std::vector<std::string> split(std::string_view text, char separator);
// {"a", "b"} -> "a,b": split()'s inverse.
std::string join(const std::vector<std::string>& items, char separator);
// "1,2,3"
std::string id_list(std::span<const std::int64_t> ids);

}  // namespace peoplesync::directory_model
