// What the differ compares and hashes of a user: the scalar fields in the
// order they are reported, and the hash of a user's synced values
// (ValueHash, SyncHasher), stored with each synced user.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <peoplesync/model.hpp>

namespace peoplesync::core::values {

// The last n < 8 bytes of a text as one word, zero above them, as a memcpy
// of n bytes into a zeroed word makes it on a little-endian processor,
// without a call that copies a length it only knows at run time:
// two overlapping loads of 4, or up to three single bytes.
inline std::uint64_t tail_word(const char* p, std::size_t n) {
    if (n >= 4) {
        std::uint32_t low, high;
        std::memcpy(&low, p, 4);
        std::memcpy(&high, p + n - 4, 4);
        return low | (static_cast<std::uint64_t>(high) << (8 * (n - 4)));
    }
    if (n == 0) return 0;  // an empty view may be null
    const auto byte = [p](std::size_t k) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[k])); };
    return byte(0) | byte(n / 2) << (8 * (n / 2)) | byte(n - 1) << (8 * (n - 1));
}

// Hashes a user's synced values a word at a time.
class ValueHash {
public:
    explicit ValueHash(std::uint64_t seed) : hash_(seed) {}
    void add(std::string_view text) {
        std::size_t i = 0;
        for (; i + 8 <= text.size(); i += 8) {
            std::uint64_t word;
            std::memcpy(&word, text.data() + i, 8);
            step(word);
        }
        // The length separates fields.
        step(tail_word(text.data() + i, text.size() - i) ^ (static_cast<std::uint64_t>(text.size()) << 56));
    }
    std::uint64_t value() const {
        std::uint64_t h = hash_;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        return h == 0 ? 1 : h;
    }

private:
    void step(std::uint64_t word) {
        hash_ = (hash_ ^ (word * 0x9e3779b97f4a7c15ull)) * 0xc4ceb9fe1a85ec53ull;
        hash_ ^= hash_ >> 29;
    }
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
