// What the differ compares and hashes of a user: the scalar fields in the
// order they are reported, and the hash of a user's synced values
// (ValueHash, SyncHasher), stored with each synced user.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <peoplesync/model.hpp>

#include "hash.hpp"

namespace peoplesync::core::values {

// Hashes a user's synced values one after the other (hash.hpp's combine).
class ValueHash {
public:
    explicit ValueHash(std::uint64_t seed) : hash_(seed) {}
    void add(std::string_view text) { hash_ = hash::combine(hash_, text); }
    // Never 0, which a sink stores for "no hash".
    std::uint64_t value() const { return hash_ == 0 ? 1 : hash_; }

private:
    std::uint64_t hash_;
};

inline std::string profile_image_text(const ProfileImageView& image) {
    if (image.empty()) return {};
    std::string text(image.url);
    if (!image.last_modified.empty()) text += " (last_modified " + image.last_modified + ")";
    if (!image.cache_info.empty()) text += " (cache_info " + image.cache_info + ")";
    return text;
}

// The scalar fields compared one by one, in the order they are reported
// (the table's text fields and profile_image); `view` compares them without
// a copy where the value is one text.
struct ScalarField {
    std::string_view name;
    std::string (*get)(const UserView&);
    std::string_view (*view)(const UserView&) = nullptr;
};
// The same without copies, for hashing; profile_image as its three parts.
inline void add_scalars(ValueHash& h, const UserView& u, const std::vector<char>& synced) {
    std::size_t i = 0;
    for_each_field(u, [&](auto id, const auto& value) {
        constexpr FieldKind kind = spec_of(decltype(id)::value).kind;
        if constexpr (kind == FieldKind::text) {
            if (synced[i]) h.add(value);
            ++i;
        } else if constexpr (kind == FieldKind::image) {
            if (synced[i]) {
                h.add(value.url);
                h.add(value.last_modified);
                h.add(value.cache_info);
            }
            ++i;
        }
    });
}
template <FieldId Id>
void add_scalar_field(std::vector<ScalarField>& fields) {
    constexpr FieldKind kind = spec_of(Id).kind;
    if constexpr (kind == FieldKind::text)
        fields.push_back({spec_of(Id).name, [](const UserView& u) { return std::string(field_member<Id>(u)); },
                          [](const UserView& u) -> std::string_view { return field_member<Id>(u); }});
    else if constexpr (kind == FieldKind::image)
        fields.push_back({spec_of(Id).name,
                          [](const UserView& u) -> std::string { return profile_image_text(field_member<Id>(u)); }});
}
inline const std::vector<ScalarField>& scalar_fields() {
    static const std::vector<ScalarField> fields = [] {
        std::vector<ScalarField> out;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (add_scalar_field<static_cast<FieldId>(I)>(out), ...);
        }
        (std::make_index_sequence<field_count>{});
        return out;
    }();
    return fields;
}

}  // namespace peoplesync::core::values
