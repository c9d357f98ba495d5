#include "value_hash.hpp"

#include <algorithm>

#include "differ.hpp"

namespace peoplesync::core {

using namespace values;

SyncHasher::SyncHasher(const SyncPolicy& policy)
    : departments_(policy.syncs(field::departments)), manager_(policy.syncs(field::manager)) {
    for (const auto& f : scalar_fields()) scalars_.push_back(policy.syncs(f.name) ? 1 : 0);
    ValueHash h(0x243f6a8885a308d3ull);
    for (const auto& f : policy.fields) h.add(f);
    seed_ = h.value();
}

std::uint64_t SyncHasher::operator()(const UserView& user, std::string_view manager_hris_id) const {
    ValueHash h(seed_);
    add_scalars(h, user, scalars_);
    h.add(user.active ? "1" : "0");
    if (departments_) {
        // In a stable order; people rarely have more than a few departments.
        std::string_view paths[8];
        const std::size_t count = std::min<std::size_t>(user.departments.size(), 8);
        for (std::size_t i = 0; i < count; ++i) {  // insertion sort: a handful at most
            std::size_t j = i;
            for (; j > 0 && paths[j - 1] > std::string_view(user.departments[i]); --j) paths[j] = paths[j - 1];
            paths[j] = user.departments[i];
        }
        for (std::size_t i = 0; i < count; ++i) h.add(paths[i]);
        for (std::size_t i = count; i < user.departments.size(); ++i) h.add(user.departments[i]);
        h.add("|");
    }
    if (manager_) h.add(manager_hris_id);
    return h.value();
}

}  // namespace peoplesync::core
