#include "manager_warnings.hpp"

#include <unordered_set>

#include "flat_index.hpp"

namespace peoplesync::core {

Finding unknown_manager_warning(const Snapshot& snapshot, std::size_t user, std::string_view why) {
    const UserView view = snapshot.users[user];
    return {Severity::warning, snapshot.locate(view, field::manager),
            "manager \"" + view.manager_hris_id + "\" is neither in the snapshot nor in the destination" +
                std::string(why) + "; the manager stays unset",
            static_cast<std::int64_t>(user)};
}

std::vector<std::string> managers_not_in_snapshot(const Snapshot& snapshot, const std::vector<char>& invalid) {
    const Users& users = snapshot.users;
    const std::size_t n = users.size();
    auto valid = [&invalid](std::size_t u) { return u >= invalid.size() || invalid[u] == 0; };
    // As the diff looks them up: by hris_id among the valid users.
    flat::StringIndex<false> present(
        [&users](std::int64_t u) -> std::string_view { return users.hris_id(static_cast<std::size_t>(u)); }, n);
    present.emplace_all(
        n, [&](std::size_t u) { return valid(u) ? users.hris_id(u) : std::string_view(); },
        [](std::size_t, std::int64_t) {});
    std::vector<std::string> outside;
    std::unordered_set<std::string_view> named;
    present.find_all(
        n, [&](std::size_t u) { return valid(u) ? users.manager_hris_id(u) : std::string_view(); },
        [&](std::size_t u, std::int64_t at) {
            const std::string_view manager = users.manager_hris_id(u);
            if (at == flat::StringIndex<>::none && !manager.empty() && valid(u) && named.insert(manager).second)
                outside.emplace_back(manager);
        });
    return outside;
}

std::vector<Finding> unknown_manager_warnings(const Snapshot& snapshot, const std::vector<char>& invalid,
                                              const std::set<std::string, std::less<>>& nobody) {
    std::vector<Finding> warnings;
    if (nobody.empty()) return warnings;
    for (std::size_t u = 0; u < snapshot.users.size(); ++u) {
        if (u < invalid.size() && invalid[u] != 0) continue;
        const std::string_view manager = snapshot.users.manager_hris_id(u);
        if (!manager.empty() && nobody.find(manager) != nobody.end())
            warnings.push_back(unknown_manager_warning(snapshot, u));
    }
    return warnings;
}

}  // namespace peoplesync::core
