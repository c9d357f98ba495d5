// The directory sinks' user columns of text fields, made from the SDK's
// field table, whatever the database: the SQLite directory and the
// PostgreSQL one name and read them alike.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <peoplesync/fields.hpp>
#include <peoplesync/model.hpp>

namespace peoplesync {

// The users table's text columns, keys first (keys_first): one per text
// field, named as the field, and profile_image's three (profile_image_url,
// profile_image_last_modified, profile_image_cache_info). `text` is the
// column's place among a user's texts (for_each_text's order).
struct TextColumn {
    std::string name;
    FieldId field;
    std::size_t text;
};

inline const std::vector<TextColumn>& text_columns() {
    static const std::vector<TextColumn> columns = [] {
        std::vector<TextColumn> out;
        for (const FieldId id : keys_first) {
            const FieldSpec& spec = spec_of(id);
            if (spec.kind == FieldKind::text) out.push_back({std::string(spec.name), id, first_text_of(id)});
            if (spec.kind == FieldKind::image)
                for (std::size_t part = 0; part < image_parts.size(); ++part)
                    out.push_back(
                        {std::string(spec.name) + "_" + std::string(image_parts[part]), id, first_text_of(id) + part});
        }
        return out;
    }();
    return columns;
}

// "COALESCE(u.hris_id, ''), u.email, ...": every text column of the users
// aliased `u`, as text (hris_id is NULL for users the directory made), in
// text_columns()' order. The same SQL in SQLite and PostgreSQL.
inline std::string text_columns_selected() {
    std::string out;
    for (const TextColumn& column : text_columns()) {
        if (!out.empty()) out += ", ";
        out += column.field == FieldId::hris_id ? "COALESCE(u.hris_id, '')" : "u." + column.name;
    }
    return out;
}

// Where each of a user's texts is held, in for_each_text's order
// (TextColumn::text), to fill a user from a row.
inline std::array<std::string*, field_texts> text_slots(User& user) {
    std::array<std::string*, field_texts> slots;
    std::size_t k = 0;
    for_each_text(user, [&](std::string& text) { slots[k++] = &text; });
    return slots;
}

}  // namespace peoplesync
