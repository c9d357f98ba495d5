// What the differ compares and hashes of a user: the scalar fields in the
// order they are reported, and the hash of a user's synced values
// (ValueHash, SyncHasher), stored with each synced user.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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

// The scalar fields compared one by one, in the order they are reported;
// `view` compares them without a copy where the value is one text.
struct ScalarField {
    std::string_view name;
    std::string (*get)(const UserView&);
    std::string_view (*view)(const UserView&) = nullptr;
};
// The same without copies, for hashing; profile_image as its three parts.
inline void add_scalars(ValueHash& h, const UserView& u, const std::vector<char>& synced) {
    const std::string_view values[] = {u.hris_id,   u.first_name,   u.last_name,   u.email,
                                       u.job_title, u.phone_number, u.employee_id, u.hire_date};
    for (std::size_t i = 0; i < std::size(values); ++i)
        if (synced[i]) h.add(values[i]);
    if (synced[8]) {
        h.add(u.profile_image.url);
        h.add(u.profile_image.last_modified);
        h.add(u.profile_image.cache_info);
    }
}
template <Text UserView::*Member>
ScalarField text_field(std::string_view name) {
    return {name, [](const UserView& u) { return std::string(u.*Member); },
            [](const UserView& u) -> std::string_view { return u.*Member; }};
}
inline const std::vector<ScalarField>& scalar_fields() {
    static const std::vector<ScalarField> fields = {
        text_field<&UserView::hris_id>(field::hris_id),
        text_field<&UserView::first_name>(field::first_name),
        text_field<&UserView::last_name>(field::last_name),
        text_field<&UserView::email>(field::email),
        text_field<&UserView::job_title>(field::job_title),
        text_field<&UserView::phone_number>(field::phone_number),
        text_field<&UserView::employee_id>(field::employee_id),
        text_field<&UserView::hire_date>(field::hire_date),
        {field::profile_image, [](const UserView& u) -> std::string { return profile_image_text(u.profile_image); }},
    };
    return fields;
}

}  // namespace peoplesync::core::values
