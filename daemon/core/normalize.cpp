// The normalize stage.
#include "normalize.hpp"

#include <algorithm>

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
}  // namespace

void normalize(Snapshot& snapshot, const SyncPolicy& policy) {
    const bool departments = policy.syncs(field::departments);
    const bool job_title = policy.syncs(field::job_title), phone_number = policy.syncs(field::phone_number),
               employee_id = policy.syncs(field::employee_id), hire_date = policy.syncs(field::hire_date),
               profile_image = policy.syncs(field::profile_image), manager = policy.syncs(field::manager);
    // Whether a user reads differently once normalized: most do not, and
    // are left as they are stored.
    auto changes = [&](const UserView& user) {
        for (std::string_view text :
             {user.hris_id, user.first_name, user.last_name, user.email, user.job_title, user.phone_number,
              user.employee_id, user.hire_date, user.profile_image.url, user.profile_image.last_modified,
              user.profile_image.cache_info, user.manager_hris_id})
            if (has_outer_space(text)) return true;
        if (!departments) {
            if (!user.departments.empty()) return true;
        } else {
            for (std::size_t i = 0; i < user.departments.size(); ++i) {
                if (!is_normal_department_path(user.departments[i])) return true;
                for (std::size_t j = 0; j < i; ++j)
                    if (user.departments[j] == user.departments[i]) return true;
            }
        }
        return (!job_title && !user.job_title.empty()) || (!phone_number && !user.phone_number.empty()) ||
               (!employee_id && !user.employee_id.empty()) || (!hire_date && !user.hire_date.empty()) ||
               (!profile_image && !user.profile_image.empty()) || (!manager && !user.manager_hris_id.empty());
    };
    auto normalized = [&](const UserView& view) {
        User user = view.to_user();
        for (std::string* text :
             {&user.hris_id, &user.first_name, &user.last_name, &user.email, &user.job_title, &user.phone_number,
              &user.employee_id, &user.hire_date, &user.profile_image.url, &user.profile_image.last_modified,
              &user.profile_image.cache_info, &user.manager_hris_id})
            if (has_outer_space(*text)) *text = trim(*text);
        if (departments) {
            for (auto& path : user.departments)
                if (!is_normal_department_path(path))
                    path = normalize_department_path(path).value_or(path);  // invalid: validation says so
            for (std::size_t i = 1; i < user.departments.size(); ++i)       // the same path twice counts once
                if (std::find(user.departments.begin(), user.departments.begin() + static_cast<std::ptrdiff_t>(i),
                              user.departments[i]) != user.departments.begin() + static_cast<std::ptrdiff_t>(i))
                    user.departments.erase(user.departments.begin() + static_cast<std::ptrdiff_t>(i--));
        } else {
            user.departments.clear();
        }
        if (!job_title) user.job_title.clear();
        if (!phone_number) user.phone_number.clear();
        if (!employee_id) user.employee_id.clear();
        if (!hire_date) user.hire_date.clear();
        if (!profile_image) user.profile_image = {};
        if (!manager) user.manager_hris_id.clear();
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
