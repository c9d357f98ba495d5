// The normalize stage.
#include "normalize.hpp"

#include <algorithm>
#include <array>
#include <type_traits>

#include <peoplesync/validation.hpp>

#include "two_threads.hpp"

namespace peoplesync::core {

namespace {
// What trim() removes: std::isspace's characters in the C locale, without a
// call per character (normalizing asks twice per field of every user).
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
bool has_outer_space(std::string_view text) {
    return !text.empty() && (is_space(text.front()) || is_space(text.back()));
}

// What a field holds when it has no value: a flag, true (as active is in a
// new User).
template <typename Value>
Value unset() {
    if constexpr (std::is_same_v<Value, bool>)
        return true;
    else
        return Value{};
}
template <typename Value>
bool holds(const Value& value) {
    if constexpr (std::is_same_v<Value, bool>)
        return value != unset<bool>();
    else
        return !value.empty();
}

}  // namespace

void normalize(Snapshot& snapshot, const SyncPolicy& policy) {
    std::array<bool, field_count> synced{};
    for (const FieldSpec& spec : field_specs) synced[static_cast<std::size_t>(spec.id)] = policy.syncs(spec.name);
    const bool departments = synced[static_cast<std::size_t>(FieldId::departments)];
    const bool manager = synced[static_cast<std::size_t>(FieldId::manager)];
    // Whether a user reads differently once normalized: most do not, and
    // are left as they are stored.
    auto changes = [&](const UserView& user) {
        bool outer_space = false;
        for_each_text(user, [&](Text text) { outer_space = outer_space || has_outer_space(text); });
        if (outer_space) return true;
        if (departments)
            for (std::size_t i = 0; i < user.departments.size(); ++i) {
                if (!is_normal_department_path(user.departments[i])) return true;
                for (std::size_t j = 0; j < i; ++j)
                    if (user.departments[j] == user.departments[i]) return true;
            }
        bool dropped = false;  // a value of a field the policy does not sync
        for_each_field(user, [&](auto id, const auto& value) {
            if constexpr (!spec_of(decltype(id)::value).always_synced())
                dropped = dropped || (!synced[static_cast<std::size_t>(decltype(id)::value)] && holds(value));
        });
        return dropped;
    };
    auto normalized = [&](const UserView& view) {
        User user = view.to_user();
        for_each_text(user, [](std::string& text) {
            if (has_outer_space(text)) text = trim(text);
        });
        if (departments) {
            for (auto& path : user.departments)
                if (!is_normal_department_path(path))
                    path = normalize_department_path(path).value_or(path);  // invalid: validation says so
            for (std::size_t i = 1; i < user.departments.size(); ++i)       // the same path twice counts once
                if (std::find(user.departments.begin(), user.departments.begin() + static_cast<std::ptrdiff_t>(i),
                              user.departments[i]) != user.departments.begin() + static_cast<std::ptrdiff_t>(i))
                    user.departments.erase(user.departments.begin() + static_cast<std::ptrdiff_t>(i--));
        }
        for_each_field(user, [&](auto id, auto& value) {
            using Value = std::remove_reference_t<decltype(value)>;
            if constexpr (!spec_of(decltype(id)::value).always_synced())
                if (!synced[static_cast<std::size_t>(decltype(id)::value)]) value = unset<Value>();
        });
        return user;
    };
    // Each user on their own: a large snapshot's halves on two cores. A
    // user who does not fit where they are stored (a department path that
    // grows) is replaced afterwards, on this thread.
    std::vector<std::pair<std::size_t, User>> grown[2];
    threads::for_halves(snapshot.users.size(), [&](std::size_t from, std::size_t to) {
        auto& later = grown[from == 0 ? 0 : 1];
        for (std::size_t u = from; u < to; ++u) {
            const UserView view = snapshot.users[u];
            if (!changes(view)) continue;
            User user = normalized(view);
            if (!snapshot.users.replace_in_place(u, user)) later.emplace_back(u, std::move(user));
        }
    });
    for (auto& later : grown)
        for (auto& [u, user] : later) snapshot.users.replace(u, user);
    if (manager)
        for (std::size_t i = 0; i < snapshot.users.size(); ++i) {
            const UserView user = snapshot.users[i];
            if (!user.manager_hris_id.empty() && user.manager_hris_id == user.hris_id) {
                snapshot.warning(
                    static_cast<std::int64_t>(i), snapshot.locate(user, field::manager),
                    "user \"" + user.hris_id + "\" is named as their own manager; the manager stays unset");
                User alone = user.to_user();
                alone.manager_hris_id.clear();
                snapshot.users.replace(i, alone);
            }
        }
}

bool keeps_every_field(const SyncPolicy& policy) {
    const auto& fields = all_fields();
    return std::all_of(fields.begin(), fields.end(), [&](std::string_view f) { return policy.syncs(f); });
}

}  // namespace peoplesync::core
