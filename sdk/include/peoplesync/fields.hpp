// The schema's fields, in one table: the User and UserView members, the
// `field::` names, all_fields(), Users' layout, the JSON reader and writer,
// normalize, the differ, the snapshot codec, the sources' mappings and the
// sinks' columns are all made from it. Adding a field is adding its line
// below (at the end: stored records and columns are laid out in this order,
// see docs/design.md §4.1) and its tests.
//
// Why a macro: only a macro can declare the members of User and UserView
// from a list. Everything else reads the constexpr `field_specs` array or
// visits a user's members with for_each_field(), so the code that uses the
// table is plain, typed C++ whose loops the compiler unrolls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace peoplesync {

// How a field is held: its member in User / UserView.
enum class FieldKind : std::uint8_t {
    text,         // std::string / Text
    image,        // ProfileImage / ProfileImageView: three texts (image_parts)
    departments,  // std::vector<std::string> / DepartmentsView: paths
    flag,         // bool, true in a new User
    manager,      // the manager's hris_id, a std::string / Text
};

enum class FieldSync : std::uint8_t {
    key,     // always synced, and names a user: unique, what the differ matches by
    always,  // always synced
    chosen,  // synced when the pipeline's `fields` names it (all by default)
};

// X(name, member, kind, sync, ldap_attribute): the name in the guide's
// spelling (also the option key of the sources' mappings, columns.NAME and
// attributes.NAME, and the csv source's default column); the User member;
// its FieldKind and FieldSync; the attribute the ldap source reads it from by
// default ("": none). Normalize trims every text of every field and
// lowercases none, so the table says nothing about it.
#define PEOPLESYNC_FIELDS(X)                                             \
    X(hris_id, hris_id, text, key, "uid")                                \
    X(first_name, first_name, text, always, "givenName")                 \
    X(last_name, last_name, text, always, "sn")                          \
    X(email, email, text, key, "mail")                                   \
    X(job_title, job_title, text, chosen, "title")                       \
    X(phone_number, phone_number, text, chosen, "telephoneNumber")       \
    X(employee_id, employee_id, text, chosen, "employeeNumber")          \
    X(hire_date, hire_date, text, chosen, "")                            \
    X(profile_image, profile_image, image, chosen, "")                   \
    X(departments, departments, departments, chosen, "departmentNumber") \
    X(active, active, flag, always, "")                                  \
    X(manager, manager_hris_id, manager, chosen, "manager")

enum class FieldId : std::uint8_t {
#define PEOPLESYNC_FIELD_ID(name, ...) name,
    PEOPLESYNC_FIELDS(PEOPLESYNC_FIELD_ID)
#undef PEOPLESYNC_FIELD_ID
};

struct FieldSpec {
    FieldId id;
    std::string_view name;
    FieldKind kind;
    FieldSync sync;
    std::string_view ldap_attribute;

    constexpr bool always_synced() const { return sync != FieldSync::chosen; }
    // A record without a value for it is invalid.
    constexpr bool required() const { return always_synced() && kind == FieldKind::text; }
    // How many texts it is stored as (Users, the snapshot codec).
    constexpr std::size_t texts() const {
        return kind == FieldKind::image ? 3 : kind == FieldKind::text || kind == FieldKind::manager ? 1 : 0;
    }
};

inline constexpr std::array field_specs = {
#define PEOPLESYNC_FIELD_SPEC(name, member, kind, sync, ldap_attribute) \
    FieldSpec{FieldId::name, #name, FieldKind::kind, FieldSync::sync, ldap_attribute},
    PEOPLESYNC_FIELDS(PEOPLESYNC_FIELD_SPEC)
#undef PEOPLESYNC_FIELD_SPEC
};
inline constexpr std::size_t field_count = field_specs.size();

// A profile image's texts, in the order stored, with their names in the
// guide's JSON.
inline constexpr std::array<std::string_view, 3> image_parts = {"url", "last_modified", "cache_info"};

constexpr const FieldSpec& spec_of(FieldId id) {
    return field_specs[static_cast<std::size_t>(id)];
}

constexpr std::optional<FieldId> field_named(std::string_view name) {
    for (const FieldSpec& spec : field_specs)
        if (spec.name == name) return spec.id;
    return std::nullopt;
}

// The first of a field's texts among a user's texts in table order (the
// order Users and the snapshot codec keep them in).
constexpr std::size_t first_text_of(FieldId id) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(id); ++i) at += field_specs[i].texts();
    return at;
}
// Every field's texts together.
inline constexpr std::size_t field_texts =
    first_text_of(static_cast<FieldId>(field_count - 1)) + field_specs[field_count - 1].texts();

// The fields with the keys first, then the others, each in table order:
// the order the always-synced fields are listed in (a pipeline's sync hash
// depends on it) and the directory's user columns.
inline constexpr std::array<FieldId, field_count> keys_first = [] {
    std::array<FieldId, field_count> order{};
    std::size_t at = 0;
    for (const FieldSpec& spec : field_specs)
        if (spec.sync == FieldSync::key) order[at++] = spec.id;
    for (const FieldSpec& spec : field_specs)
        if (spec.sync != FieldSync::key) order[at++] = spec.id;
    return order;
}();

// The fields a pipeline may choose to sync, in the guide's spelling.
namespace field {
#define PEOPLESYNC_FIELD_NAME(name, ...) inline constexpr std::string_view name = #name;
PEOPLESYNC_FIELDS(PEOPLESYNC_FIELD_NAME)
#undef PEOPLESYNC_FIELD_NAME
}  // namespace field

}  // namespace peoplesync
