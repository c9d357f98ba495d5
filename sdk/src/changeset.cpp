#include <peoplesync/changeset.hpp>

namespace peoplesync {

std::int64_t ChangeSummary::total() const {
    return created + linked + updated + reactivated + deactivated + unsynced + departments_created + memberships_added +
           memberships_removed + managers_changed;
}

ChangeSummary ChangeSet::summary() const {
    ChangeSummary s;
    s.created = static_cast<std::int64_t>(created.size());
    for (const auto& user : users) {
        s.linked += user.linked;
        s.updated += user.updated();
        s.reactivated += user.reactivated;
        s.deactivated += user.deactivated;
        s.unsynced += user.unsynced;
    }
    s.departments_created = static_cast<std::int64_t>(departments_created.size());
    s.memberships_added = static_cast<std::int64_t>(memberships_added.size()) + created_memberships;
    s.memberships_removed = static_cast<std::int64_t>(memberships_removed.size());
    s.managers_changed = static_cast<std::int64_t>(managers.size()) + created_managers;
    return s;
}

bool ChangeSet::empty() const {
    return created.empty() && users.empty() && departments_created.empty() && departments_adopted.empty() &&
           memberships_added.empty() && memberships_removed.empty() && managers.empty();
}

}  // namespace peoplesync
