// The diff of one snapshot against one destination's index: the Differ
// class and its steps in the order run() takes them (match, who leaves,
// managers, departments, user changes, memberships outside the sync).
// A little over 600 lines, kept in one file on purpose: every step reads and
// fills the same indexes (by hris_id, by email, by department path, the
// matching), which live as members of the one object; split over files they
// would be passed around or made public for no reader's gain. The value
// hashes (value_hash.*), the manager warnings (manager_warnings.*) and the
// stage that runs a diff per sink (diff_stage.*) are apart already.
#include "differ.hpp"

#include "department_paths.hpp"
#include "flat_index.hpp"
#include "manager_warnings.hpp"
#include "text_hash.hpp"
#include "two_threads.hpp"
#include "value_hash.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <peoplesync/validation.hpp>

namespace peoplesync::core {

using namespace values;

namespace {

constexpr std::int64_t none = -1;
constexpr std::size_t fetch_batch = 2000;

// "A > B > C" -> "A", "A > B", "A > B > C": views into `path`.
std::vector<std::string_view> path_levels(std::string_view path) {
    std::vector<std::string_view> levels;
    std::size_t pos = 0;
    while (true) {
        auto sep = path.find(" > ", pos);
        if (sep == std::string::npos) {
            levels.emplace_back(path);
            break;
        }
        levels.emplace_back(path.substr(0, sep));
        pos = sep + 3;
    }
    return levels;
}

class Differ {
public:
    Differ(const Snapshot& snapshot, std::vector<char> invalid, const SyncPolicy& policy, const DestinationIndex& index,
           const RestOfSource* rest)
        : s_(snapshot),
          rest_(rest),
          invalid_(std::move(invalid)),
          policy_(policy),
          index_(index),
          by_hris_([this](std::int64_t d) -> std::string_view { return destination(d).hris_id; }),
          present_(
              [this](std::int64_t u) -> std::string_view { return s_.users.hris_id(static_cast<std::size_t>(u)); }),
          dept_by_path_([this](std::int64_t i) { return dept_path_[static_cast<std::size_t>(i)]; }) {
        const auto m = index_.users.size();
        static_assert(flat::StringIndex<>::none == none);
        by_hris_.emplace_all(
            m, [this](std::size_t d) -> std::string_view { return index_.users[d].hris_id; },
            [this](std::size_t, std::int64_t) {
                unique_hris_ids_ = false;
            });  // the index names the first; so must every lookup
        for (const auto& du : index_.users) result_.synced_before += du.synced;
        if (index_.synced_users >= 0) result_.synced_before = index_.synced_users;  // an index of some users
        department_paths();
    }

    // Its indexes read keys through `this`: it stays where it is made.
    Differ(const Differ&) = delete;
    Differ& operator=(const Differ&) = delete;

    DiffResult run(const FetchRecords& fetch) {
        match();
        find_leaving();
        resolve_managers();
        plan_departments();
        changes(fetch);
        foreign_memberships();
        for (const auto& change : result_.changes.users) result_.removals += (change.unsynced || change.deactivated);
        return std::move(result_);
    }

private:
    bool valid(std::size_t u) const { return invalid_[u] == 0; }
    const DestinationUser& destination(std::int64_t d) const { return index_.users[static_cast<std::size_t>(d)]; }
    template <typename Index>
    static std::int64_t find(const Index& index, std::string_view key) {
        return index.find(key);
    }
    // A synced destination user whose record the snapshot leaves out.
    bool kept(std::size_t d) const {
        return rest_ != nullptr && index_.users[d].synced && rest_->holds(index_.users[d].hris_id);
    }
    // Who leaves the sync: of every destination user, or when the snapshot
    // holds only some records, of those gone from the source.
    void find_leaving() {
        if (rest_ == nullptr) {
            for (std::size_t d = 0; d < index_.users.size(); ++d)
                if (leaves(d)) leaving_.push_back(d);
            return;
        }
        for (const auto& hris_id : rest_->gone())
            if (auto d = find(by_hris_, hris_id); d != none && leaves(static_cast<std::size_t>(d)))
                leaving_.push_back(static_cast<std::size_t>(d));
        std::sort(leaving_.begin(), leaving_.end());
        leaving_.erase(std::unique(leaving_.begin(), leaving_.end()), leaving_.end());
    }
    std::string_view email(std::size_t u) const { return s_.users.email(u); }

    // Pairs snapshot users with destination users: by hris_id, then by email
    // for destination users nobody claimed. A user whose email belongs to a
    // destination user that keeps it is refused; under skip that may free a
    // destination user for another claim, so matching repeats until stable.
    void match() {
        const auto n = s_.users.size(), m = index_.users.size();
        while (true) {
            match_.assign(n, none);
            claimed_.assign(m, none);
            matched_by_.assign(n, LinkedBy::none);
            protected_.assign(m, 0);
            hold_removals_ = false;
            if (m == 0) {
                // An empty destination (a first sync): nobody to match by
                // hris_id or email, and nobody an invalid record protects.
                for (std::size_t u = 0; u < n; ++u)
                    if (!valid(u) && s_.users.hris_id(u).empty()) hold_removals_ = true;
                break;
            }
            // A resync's records come mostly in the order the destination
            // holds them: the one after the last match is tried first.
            std::size_t next = 0;
            for (std::size_t u = 0; u < n; ++u) {
                if (!valid(u)) continue;
                const std::string_view hris_id = s_.users.hris_id(u);
                std::int64_t d = none;
                if (unique_hris_ids_ && next < m && !hris_id.empty() && index_.users[next].hris_id == hris_id)
                    d = static_cast<std::int64_t>(next);
                else
                    d = find(by_hris_, hris_id);
                if (d == none) continue;
                claim(u, d, LinkedBy::hris_id);
                next = static_cast<std::size_t>(d) + 1;
            }
            const EmailOwners owners(*this);
            for (std::size_t u = 0; u < n; ++u) {
                if (valid(u)) continue;
                const UserView& user = s_.users[u];
                if (user.hris_id.empty()) hold_removals_ = true;
                if (auto d = find(by_hris_, user.hris_id); d != none) protected_[static_cast<std::size_t>(d)] = 1;
                if (auto d = owners.find(email(u)); d != none && !email(u).empty())
                    protected_[static_cast<std::size_t>(d)] = 1;
            }
            for (std::size_t u = 0; u < n; ++u) {
                if (!valid(u) || match_[u] != none) continue;
                auto d = owners.find(email(u));
                if (d != none && claimed_[static_cast<std::size_t>(d)] == none &&
                    !protected_[static_cast<std::size_t>(d)] && !kept(static_cast<std::size_t>(d)))
                    claim(u, d, LinkedBy::email);
            }
            bool refused_more = false;
            for (std::size_t u = 0; u < n; ++u) {
                if (!valid(u) || keeps_own_email(u)) continue;
                auto d = owners.find(email(u));
                if (d == none || d == match_[u] || claimed_[static_cast<std::size_t>(d)] != none) continue;
                const auto& owner = index_.users[static_cast<std::size_t>(d)];
                const UserView& user = s_.users[u];
                if (kept(static_cast<std::size_t>(d))) {
                    result_.findings.push_back({Severity::error, s_.locate(user, field::email),
                                                "email \"" + user.email +
                                                    "\" also belongs to the record with hris_id \"" + owner.hris_id +
                                                    "\"; an email must be unique",
                                                static_cast<std::int64_t>(u)});
                    result_.refused.push_back(static_cast<std::int64_t>(u));
                    continue;
                }
                std::string who = owner.hris_id.empty()
                                      ? "a user the directory created (id " + std::to_string(owner.id) + ")"
                                      : "the user with hris_id \"" + owner.hris_id + "\"";
                result_.findings.push_back(
                    {Severity::error, s_.locate(user, field::email),
                     "email \"" + user.email + "\" already belongs to " + who + " in the destination, who keeps it",
                     static_cast<std::int64_t>(u)});
                result_.refused.push_back(static_cast<std::int64_t>(u));
                if (policy_.on_invalid == InvalidPolicy::skip) {
                    invalid_[u] = 1;
                    refused_more = true;
                }
            }
            if (!refused_more) break;
        }
        if (hold_removals_)
            result_.findings.push_back({Severity::warning, "(snapshot)",
                                        "an invalid record has no hris_id, so no user can be told apart from it: "
                                        "no user is unsynced or deactivated in this run",
                                        -1});
    }

    // Keeping one's own address cannot take anybody else's.
    bool keeps_own_email(std::size_t u) const {
        return match_[u] != none &&
               flat::folded_equal(index_.users[static_cast<std::size_t>(match_[u])].email, email(u));
    }

    // The first destination user with each address the matching asks about:
    // those of invalid records, of users no hris_id matched, and of users
    // whose address changed. A resync asks about a few, so one pass over the
    // destination's addresses against them costs far less than an index of
    // every address; when more are asked than the destination holds, the
    // destination's addresses are indexed instead.
    class EmailOwners {
    public:
        explicit EmailOwners(const Differ& d)
            : d_(d),
              asked_([this](std::int64_t i) { return d_.email(asking_[static_cast<std::size_t>(i)]); }),
              held_([this](std::int64_t dest) -> std::string_view { return d_.destination(dest).email; }) {
            const std::size_t m = d.index_.users.size();
            if (m == 0) return;
            for (std::size_t u = 0; u < d.s_.users.size(); ++u)
                if (!d.valid(u) || !d.keeps_own_email(u)) asking_.push_back(u);
            if (asking_.size() >= m) {
                held_.reserve(m);
                for (std::size_t dest = 0; dest < m; ++dest)
                    held_.emplace(d.index_.users[dest].email, static_cast<std::int64_t>(dest));
                return;
            }
            asked_.reserve(asking_.size());
            for (std::size_t i = 0; i < asking_.size(); ++i)
                asked_.emplace(d.email(asking_[i]), static_cast<std::int64_t>(i));
            owner_.assign(asking_.size(), none);
            for (std::size_t dest = 0; dest < m; ++dest) {
                const std::int64_t i = asked_.find(d.index_.users[dest].email);
                if (i != none && owner_[static_cast<std::size_t>(i)] == none)
                    owner_[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(dest);
            }
        }
        // Its index reads keys through `this`: it stays where it is made.
        EmailOwners(const EmailOwners&) = delete;
        EmailOwners& operator=(const EmailOwners&) = delete;

        // Only for addresses asked about.
        std::int64_t find(std::string_view email) const {
            if (!held_.empty()) return held_.find(email);
            const std::int64_t i = asked_.find(email);
            return i == none ? none : owner_[static_cast<std::size_t>(i)];
        }

    private:
        const Differ& d_;
        std::vector<std::size_t> asking_;  // snapshot users
        flat::StringIndex<true> asked_;    // their addresses, case-insensitively, to the first asking
        std::vector<std::int64_t> owner_;  // per entry of asked_
        flat::StringIndex<true> held_;     // or the destination's addresses, to the first holding
    };

    void claim(std::size_t u, std::int64_t d, LinkedBy by) {
        match_[u] = d;
        claimed_[static_cast<std::size_t>(d)] = static_cast<std::int64_t>(u);
        matched_by_[u] = by;
    }

    // The destination user who answers to this hris_id once the run
    // applies, or none: one this run links to a record with another hris_id
    // no longer does, so a snapshot gives the same managers the first time
    // as every time after.
    std::int64_t destination_after_run(std::string_view hris_id) const {
        const std::int64_t d = find(by_hris_, hris_id);
        if (d == none) return none;
        const std::int64_t u = claimed_[static_cast<std::size_t>(d)];
        return u == none || s_.users.hris_id(static_cast<std::size_t>(u)) == hris_id ? d : none;
    }

    // A manager must be somebody: a valid user of the snapshot or any user
    // of the destination after the run. Otherwise the manager is left unset,
    // with a warning.
    void resolve_managers() {
        manager_.assign(s_.users.size(), {});
        if (!policy_.syncs(field::manager)) return;
        present_.emplace_all(
            s_.users.size(), [this](std::size_t u) { return valid(u) ? s_.users.hris_id(u) : std::string_view(); },
            [](std::size_t, std::int64_t) {});
        // Where each manager is among them, looked up a few users ahead.
        manager_at_.assign(s_.users.size(), none);
        present_.find_all(
            s_.users.size(),
            [this](std::size_t u) { return valid(u) ? s_.users.manager_hris_id(u) : std::string_view(); },
            [this](std::size_t u, std::int64_t at) { manager_at_[u] = at; });
        for (std::size_t u = 0; u < s_.users.size(); ++u) {
            if (!valid(u)) continue;
            const std::string_view manager = s_.users.manager_hris_id(u);
            if (manager.empty()) continue;
            if (manager_at_[u] != none || destination_after_run(manager) != none) {
                manager_[u] = manager;
                continue;
            }
            std::string renamed;
            if (const std::int64_t d = find(by_hris_, manager); d != none)
                renamed =
                    ": the destination's \"" + std::string(manager) + "\" becomes \"" +
                    std::string(s_.users.hris_id(static_cast<std::size_t>(claimed_[static_cast<std::size_t>(d)]))) +
                    "\" in this run";
            result_.findings.push_back(unknown_manager_warning(s_, u, renamed));
        }
    }

    // Each department's path, from its parent's (see DepartmentPaths).
    void department_paths() {
        const auto& departments = index_.departments;
        const std::size_t n = departments.size();
        dept_path_ = DepartmentPaths(
            n, [&](std::size_t i) { return departments[i].id; },
            [&](std::size_t i) { return departments[i].parent_id; },
            [&](std::size_t i) { return std::string_view(departments[i].name); });
        dept_by_path_.emplace_all(
            n, [this](std::size_t i) { return dept_path_[i]; }, [](std::size_t, std::int64_t) {});
        // Departments are told apart by path: one whose path another has
        // (possible only through SQL from elsewhere) is that one.
        canonical_.assign(n, 0);
        dept_by_path_.find_all(
            n, [this](std::size_t i) { return dept_path_[i]; },
            [this](std::size_t i, std::int64_t first) {
                canonical_[i] = first == none ? i : static_cast<std::size_t>(first);
            });
        synced_after_.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i)
            if (departments[i].synced) synced_after_[canonical_[i]] = 1;
    }

    // Every level of every path the snapshot names exists after the run and
    // is a synced department: missing levels are created, unsynced ones
    // adopted.
    void plan_departments() {
        if (!policy_.syncs(field::departments)) return;
        // The levels are views into the snapshot's users, which stay as they
        // are while the diff runs.
        std::vector<std::string_view> seen_levels;
        flat::StringIndex<false> seen(
            [&seen_levels](std::int64_t i) { return seen_levels[static_cast<std::size_t>(i)]; });
        auto first_time = [&](std::string_view text) {
            if (!seen.emplace(text, static_cast<std::int64_t>(seen_levels.size())).second) return false;
            seen_levels.push_back(text);
            return true;
        };
        for (std::size_t u = 0; u < s_.users.size(); ++u) {
            if (!valid(u)) continue;
            for (const auto& path : s_.users[u].departments) {
                if (seen.contains(path)) continue;
                for (const std::string_view level : path_levels(path)) {
                    if (!first_time(level)) continue;
                    const std::int64_t existing = dept_by_path_.find(level);
                    if (existing == none) {
                        result_.changes.departments_created.emplace_back(level);
                        continue;
                    }
                    if (!index_.departments[static_cast<std::size_t>(existing)].synced)
                        result_.changes.departments_adopted.emplace_back(level);
                    synced_after_[static_cast<std::size_t>(existing)] = 1;
                }
            }
        }
    }

    // Where the manager with this hris_id is: in the destination already, or
    // created by this run (its snapshot index).
    std::pair<std::int64_t, std::int64_t> locate_manager(std::size_t of) const {
        const std::string_view hris_id = manager_[of];
        if (hris_id.empty()) return {0, none};
        if (auto u = manager_at_[of]; u != none) {
            if (match_[static_cast<std::size_t>(u)] != none)
                return {index_.users[static_cast<std::size_t>(match_[static_cast<std::size_t>(u)])].id, none};
            return {0, u};
        }
        if (auto d = destination_after_run(hris_id); d != none)
            return {index_.users[static_cast<std::size_t>(d)].id, none};
        return {0, none};
    }

    // The path of the department with this id if it is synced after the run.
    std::optional<std::string_view> synced_path_of(std::int64_t department_id) const {
        const std::size_t at = dept_path_.position_of(department_id);
        if (at == DepartmentPaths::none || !synced_after_[canonical_[at]]) return std::nullopt;
        return dept_path_[at];
    }

    void changes(const FetchRecords& fetch) {
        const auto n = s_.users.size();
        hash_.assign(n, 0);
        // Each user's hash, and each user to create, on their own: a large
        // snapshot's halves on two cores, the users created in order.
        std::array<Created, 2> halves;
        threads::for_halves(n, [this, &halves](std::size_t from, std::size_t to) {
            Created& out = halves[from == 0 ? 0 : 1];
            for (std::size_t u = from; u < to; ++u) {
                if (!valid(u)) continue;
                const UserView user = s_.users[u];
                hash_[u] = hasher_(user, manager_[u]);
                if (match_[u] == none) created(u, user, out);
            }
        });
        for (Created& half : halves) {
            auto& created = result_.changes.created;
            if (created.empty())
                created = std::move(half.users);
            else
                created.insert(created.end(), half.users.begin(), half.users.end());
            result_.changes.created_memberships += half.memberships;
            result_.changes.created_managers += half.managers;
        }
        // Hashes stored under another family than this build's say nothing:
        // every synced user is compared whole, and gets this family's hash.
        const bool hashes_count = index_.sync_hash_family == sync_hash_family;
        auto unchanged = [&](std::size_t u, const DestinationUser& du) {
            return hashes_count && du.synced && du.sync_hash == hash_[u] && du.hris_id == s_.users.hris_id(u);
        };
        std::vector<std::int64_t> ids;
        for (std::size_t u = 0; u < n; ++u) {
            if (!valid(u) || match_[u] == none) continue;
            const auto& du = index_.users[static_cast<std::size_t>(match_[u])];
            if (!unchanged(u, du)) ids.push_back(du.id);
        }
        for (std::size_t d : leaving_) ids.push_back(index_.users[d].id);

        std::unordered_map<std::int64_t, DestinationRecord> records;
        for (std::size_t start = 0; start < ids.size(); start += fetch_batch) {
            auto count = std::min(fetch_batch, ids.size() - start);
            for (auto& record : fetch(std::span<const std::int64_t>(ids.data() + start, count)))
                records.emplace(record.id, std::move(record));
        }
        auto record_of = [&](std::int64_t id) -> const DestinationRecord& {
            auto it = records.find(id);
            if (it == records.end())
                throw Error("the destination returned no record for user id " + std::to_string(id) +
                            "; was it changed during the run?");
            return it->second;
        };

        for (std::size_t u = 0; u < n; ++u) {
            if (!valid(u) || match_[u] == none) continue;
            const auto& du = index_.users[static_cast<std::size_t>(match_[u])];
            if (unchanged(u, du)) continue;
            matched(u, du, record_of(du.id));
            processed_.insert(du.id);
        }
        for (std::size_t d : leaving_) {
            left(index_.users[d], record_of(index_.users[d].id));
            processed_.insert(index_.users[d].id);
        }
    }

    // A synced destination user nobody in the snapshot claims, and no invalid
    // record protects, leaves the sync.
    bool leaves(std::size_t d) const {
        return index_.users[d].synced && claimed_[d] == none && !protected_[d] && !hold_removals_ && !kept(d);
    }

    UserChange change_for(std::size_t u) const {
        const UserView& user = s_.users[u];
        UserChange change;
        change.snapshot_index = static_cast<std::int64_t>(u);
        change.hris_id = user.hris_id;
        change.email = user.email;
        change.sync_hash = hash_[u];
        return change;
    }

    // Users to create, from some of the snapshot's, in its order.
    struct Created {
        std::vector<CreatedUser> users;
        std::int64_t memberships = 0;
        std::int64_t managers = 0;
    };

    void created(std::size_t u, const UserView& user, Created& out) const {
        CreatedUser change;
        change.snapshot_index = static_cast<std::int64_t>(u);
        change.sync_hash = hash_[u];
        std::tie(change.manager_destination_id, change.manager_snapshot_index) = locate_manager(u);
        out.users.push_back(change);
        out.memberships += static_cast<std::int64_t>(user.departments.size());
        out.managers += !manager_[u].empty();
    }

    void matched(std::size_t u, const DestinationUser& du, const DestinationRecord& record) {
        const UserView& user = s_.users[u];
        UserChange change = change_for(u);
        change.destination_id = du.id;
        change.previous_hris_id = du.hris_id;
        if (!du.synced || du.hris_id != user.hris_id) {
            change.linked = true;
            change.linked_by = matched_by_[u];
        }
        const UserView was = record.user;
        for (const auto& f : scalar_fields()) {
            if (!policy_.syncs(f.name) || (f.view != nullptr && f.view(was) == f.view(user))) continue;
            std::string before = f.get(was), after = f.get(user);
            if (before != after) change.fields.push_back({std::string(f.name), std::move(before), std::move(after)});
        }
        if (record.user.active && !user.active) change.deactivated = true;
        if (!record.user.active && user.active) change.reactivated = true;

        if (policy_.syncs(field::departments)) {
            // A few paths each: sorted views, each once, compared in order.
            auto sorted = [](std::vector<std::string_view>& paths) {
                std::sort(paths.begin(), paths.end());
                paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
            };
            std::vector<std::string_view> current, desired(user.departments.begin(), user.departments.end());
            for (auto id : record.department_ids)
                if (const auto path = synced_path_of(id)) current.push_back(*path);
            sorted(current);
            sorted(desired);
            auto holds = [](const std::vector<std::string_view>& paths, std::string_view path) {
                return std::binary_search(paths.begin(), paths.end(), path);
            };
            for (const auto path : desired)
                if (!holds(current, path))
                    result_.changes.memberships_added.push_back({du.id, std::string(user.hris_id), std::string(path)});
            for (const auto path : current)
                if (!holds(desired, path))
                    result_.changes.memberships_removed.push_back(
                        {du.id, std::string(user.hris_id), std::string(path)});
        }
        if (policy_.syncs(field::manager) && record.user.manager_hris_id != manager_[u]) {
            auto [destination, created] = locate_manager(u);
            result_.changes.managers.push_back({du.id, std::string(user.hris_id), record.user.manager_hris_id,
                                                std::string(manager_[u]), destination, created});
        }
        result_.changes.users.push_back(std::move(change));
    }

    void left(const DestinationUser& du, const DestinationRecord& record) {
        UserChange change;
        change.destination_id = du.id;
        change.hris_id = du.hris_id;
        change.previous_hris_id = du.hris_id;
        change.email = du.email;
        change.unsynced = true;
        change.deactivated = policy_.mode == SyncMode::one_to_one && du.active;
        result_.changes.users.push_back(std::move(change));
        for (auto id : record.department_ids)
            if (const auto path = synced_path_of(id))
                result_.changes.memberships_removed.push_back({du.id, du.hris_id, std::string(*path)});
    }

    // Synced departments hold only synced users: users who stay unsynced
    // leave them, and a department this run adopts keeps only the synced
    // users whose paths name it.
    void foreign_memberships() {
        if (index_.memberships_outside_sync.empty()) return;
        std::unordered_map<std::int64_t, std::size_t> user_index;
        for (std::size_t d = 0; d < index_.users.size(); ++d) user_index.emplace(index_.users[d].id, d);
        for (const auto& membership : index_.memberships_outside_sync) {
            auto found = user_index.find(membership.user_id);
            if (found == user_index.end()) continue;
            const std::size_t d = found->second;
            const auto path = synced_path_of(membership.department_id);
            if (!path) continue;
            if (processed_.count(index_.users[d].id) || protected_[d]) continue;
            const auto& du = index_.users[d];
            if (claimed_[d] != none) {
                const auto& wanted = s_.users[static_cast<std::size_t>(claimed_[d])].departments;
                if (std::find(wanted.begin(), wanted.end(), *path) != wanted.end()) continue;
            } else if (kept(d)) {
                // Their record named no department this run adopts: had it
                // named one, the run that read it would have adopted it.
            } else if (du.synced) {
                continue;  // removals are held back in this run
            }
            result_.changes.memberships_removed.push_back({du.id, du.hris_id, std::string(*path)});
        }
    }

    const Snapshot& s_;
    const RestOfSource* rest_;
    std::vector<char> invalid_;
    const SyncPolicy& policy_;
    SyncHasher hasher_{policy_};
    const DestinationIndex& index_;
    DiffResult result_;

    flat::StringIndex<false> by_hris_;
    flat::StringIndex<false> present_;  // valid snapshot users by hris_id
    std::vector<std::int64_t> match_, claimed_;
    std::vector<LinkedBy> matched_by_;
    std::vector<char> protected_;
    std::vector<std::size_t> leaving_;            // destination users who leave the sync
    std::unordered_set<std::int64_t> processed_;  // destination users whose full record was compared
    bool hold_removals_ = false;
    bool unique_hris_ids_ = true;            // in the destination
    std::vector<std::string_view> manager_;  // each user's manager as it will be: theirs, or none
    std::vector<std::int64_t> manager_at_;   // where their manager is among the valid users, or none
    std::vector<std::uint64_t> hash_;

    DepartmentPaths dept_path_;
    flat::StringIndex<false> dept_by_path_;  // the first department with each path
    std::vector<std::size_t> canonical_;     // per department, the first with its path
    std::vector<char> synced_after_;         // by that first one: synced after the run
};

}  // namespace

DiffResult diff(const Snapshot& snapshot, std::vector<char> invalid, const SyncPolicy& policy,
                const DestinationIndex& index, const FetchRecords& fetch, const RestOfSource* rest) {
    DiffResult result = Differ(snapshot, std::move(invalid), policy, index, rest).run(fetch);
    result.changes.synced_fields = policy.fields;
    return result;
}

}  // namespace peoplesync::core
