#include "apply_plan.hpp"

#include <future>
#include <string>
#include <unordered_map>
#include <vector>

#include "records.hpp"
#include "text_columns.hpp"

namespace peoplesync::directory_model {

namespace {

// From this many created users on, their departments are looked up on a
// thread of their own.
constexpr std::size_t lookups_apart = 65536;

// The bit of each field's text columns in UserUpdate::columns.
std::uint64_t column_bits(FieldId field) {
    std::uint64_t bits = 0;
    const auto& columns = text_columns();
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c].field == field) bits |= std::uint64_t{1} << c;
    return bits;
}

class Plan {
public:
    Plan(DirectoryStore& store, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context,
         std::string_view at)
        : store_(store), snapshot_(snapshot), changes_(changes), synced_fields_(join(changes.synced_fields, ',')) {
        static_assert(field_texts <= 64, "UserUpdate::columns has a bit per text column");
        run_.run_id = context.run_id;
        run_.pipeline = context.pipeline;
        run_.at = at;
        run_.synced_field_set = store.field_set(synced_fields_);
        store.record_run(run_);
    }

    void run() {
        departments();
        audit_now();
        created();
        users();
        memberships();
        managers();
        audit_now();
    }

private:
    UserView desired(std::int64_t index) const {
        check_record(index);
        return snapshot_.users[static_cast<std::size_t>(index)];
    }
    void check_record(std::int64_t index) const {
        if (index < 0 || index >= static_cast<std::int64_t>(snapshot_.users.size()))
            throw Error("a change points outside the snapshot (record " + std::to_string(index) + ")");
    }

    std::int64_t department(std::string_view path) const {
        auto it = department_ids_.find(path);
        if (it == department_ids_.end())
            throw Error("department \"" + std::string(path) + "\" does not exist in the directory");
        return it->second;
    }

    void audit(std::int64_t user, std::string_view action, std::string_view field = {}, std::string_view old_value = {},
               std::string_view new_value = {}) {
        audit_.push_back({user, action, field, old_value, new_value});
    }
    // The audit rows so far, written in the order they were made.
    void audit_now() {
        if (audit_.empty()) return;
        store_.insert_audit(run_, {audit_.size(), [&](std::size_t k) { return audit_[k]; }});
        audit_.clear();
    }

    // Each created after its parent, with the next id.
    void departments() {
        paths_ = store_.department_paths();
        department_ids_.reserve(paths_.size() + changes_.departments_created.size());
        for (std::size_t i = 0; i < paths_.size(); ++i) department_ids_.emplace(paths_[i], paths_.id(i));
        const auto& created = changes_.departments_created;
        if (!created.empty()) {
            const std::int64_t first = store_.reserve_ids(DirectoryStore::Table::departments, created.size());
            std::vector<NewDepartment> rows(created.size());
            for (std::size_t k = 0; k < created.size(); ++k) {
                const std::string_view path = created[k];
                const auto sep = path.rfind(" > ");
                rows[k].id = first + static_cast<std::int64_t>(k);
                rows[k].name = sep == std::string_view::npos ? path : path.substr(sep + 3);
                rows[k].parent_id = sep == std::string_view::npos ? 0 : department(path.substr(0, sep));
                department_ids_[path] = rows[k].id;
            }
            store_.insert_departments(rows);
            for (const auto& path : created) audit(0, "department_created", "department", "", path);
        }
        std::vector<std::int64_t> adopted;
        for (const auto& path : changes_.departments_adopted) {
            adopted.push_back(department(path));
            audit(0, "department_adopted", "department", "", path);
        }
        if (!adopted.empty()) store_.adopt_departments(adopted);
    }

    // Created users get consecutive new ids, so their managers and
    // memberships are written with the rows, without looking anything up.
    void created() {
        const auto& created = changes_.created;
        if (created.empty()) return;
        const std::int64_t first = store_.reserve_ids(DirectoryStore::Table::users, created.size());
        created_ids_.assign(snapshot_.users.size(), 0);
        for (std::size_t k = 0; k < created.size(); ++k) {
            check_record(created[k].snapshot_index);
            created_ids_[static_cast<std::size_t>(created[k].snapshot_index)] = first + static_cast<std::int64_t>(k);
        }
        // Their memberships' departments are looked up (a path each) on a
        // thread of their own while the users are written: for a large
        // load, a tenth of the time the rows take, and the other core has
        // room then. The memberships are written after the users.
        std::future<std::vector<MembershipRow>> looked_up =
            std::async(created.size() >= lookups_apart ? std::launch::async : std::launch::deferred, [&] {
                std::vector<MembershipRow> found;
                found.reserve(created.size() * 2);
                for (std::size_t k = 0; k < created.size(); ++k) {
                    const std::size_t first_of_user = found.size();
                    for (const auto& path : desired(created[k].snapshot_index).departments) {
                        const MembershipRow row{first + static_cast<std::int64_t>(k), department(path)};
                        bool twice = false;
                        for (std::size_t m = first_of_user; m < found.size() && !twice; ++m)
                            twice = found[m].department_id == row.department_id;
                        if (!twice) found.push_back(row);
                    }
                }
                return found;
            });
        store_.insert_users(run_, {created.size(), [&](std::size_t k) {
                                       const CreatedUser& change = created[k];
                                       return NewUser{first + static_cast<std::int64_t>(k),
                                                      snapshot_.users[static_cast<std::size_t>(change.snapshot_index)],
                                                      change.manager_snapshot_index >= 0
                                                          ? created_id(change.manager_snapshot_index)
                                                          : change.manager_destination_id,
                                                      change.sync_hash};
                                   }});
        store_.insert_memberships(looked_up.get());
        // One "created" row per user, standing for the user as their snapshot
        // record describes them (stored with the run), departments and
        // manager included.
        store_.audit_created(run_, first, created.size());
    }

    std::int64_t created_id(std::int64_t snapshot_index) const {
        if (snapshot_index < 0 || static_cast<std::size_t>(snapshot_index) >= created_ids_.size() ||
            created_ids_[static_cast<std::size_t>(snapshot_index)] == 0)
            throw Error("record " + std::to_string(snapshot_index) + " is not created by this run");
        return created_ids_[static_cast<std::size_t>(snapshot_index)];
    }

    // Existing users: field updates, links, (de)activation, unsync.
    void users() {
        std::vector<UserUpdate> updates;
        std::vector<Unsync> unsynced;
        for (const auto& change : changes_.users) {
            const std::int64_t id = change.destination_id;
            if (change.unsynced) {
                unsynced.push_back({id, change.deactivated});
                audit(id, "unsynced", "hris_id", change.previous_hris_id, "");
                if (change.deactivated) audit(id, "deactivated");
                continue;
            }
            UserUpdate update{id, desired(change.snapshot_index), 0, change.sync_hash};
            for (const auto& f : change.fields) {
                const auto field = field_named(f.field);
                if (!field) throw Error("a change names no field of the directory: \"" + f.field + "\"");
                update.columns |= column_bits(*field);
                audit(id, change.linked ? "linked_field" : "updated", f.field, f.old_value, f.new_value);
            }
            updates.push_back(update);
            if (change.linked) audit(id, "linked", "by", "", change.linked_by == LinkedBy::email ? "email" : "hris_id");
            if (change.reactivated) audit(id, "reactivated");
            if (change.deactivated) audit(id, "deactivated");
        }
        if (!unsynced.empty()) store_.unsync_users(run_, unsynced);
        if (!updates.empty()) store_.update_users(run_, updates);
    }

    void memberships() {
        std::vector<MembershipRow> rows;
        for (const auto& m : changes_.memberships_removed) {
            rows.push_back({m.destination_id, department(m.department)});
            audit(m.destination_id, "membership_removed", "department", m.department, "");
        }
        if (!rows.empty()) store_.remove_memberships(rows);
        rows.clear();
        for (const auto& m : changes_.memberships_added) {
            rows.push_back({m.destination_id, department(m.department)});
            audit(m.destination_id, "membership_added", "department", "", m.department);
        }
        if (!rows.empty()) store_.add_memberships(rows);
    }

    void managers() {
        std::vector<ManagerRow> rows;
        for (const auto& m : changes_.managers) {
            const std::int64_t manager = m.new_manager_snapshot_index >= 0 ? created_id(m.new_manager_snapshot_index)
                                                                           : m.new_manager_destination_id;
            if (!m.new_manager_hris_id.empty() && manager == 0)
                throw Error("manager \"" + m.new_manager_hris_id + "\" of " + m.hris_id + " is not in the directory");
            rows.push_back({m.destination_id, manager});
            audit(m.destination_id, "manager_changed", "manager", m.old_manager_hris_id, m.new_manager_hris_id);
        }
        if (!rows.empty()) store_.set_managers(rows);
    }

    DirectoryStore& store_;
    const Snapshot& snapshot_;
    const ChangeSet& changes_;
    std::string synced_fields_;
    RunStamp run_;
    std::vector<AuditRow> audit_;  // views into the change set, alive while the plan is
    // Every department's id by path: views into paths_, or into the change
    // set for those created, both alive while the Plan is.
    DepartmentPaths paths_;
    std::unordered_map<std::string_view, std::int64_t> department_ids_;
    std::vector<std::int64_t> created_ids_;  // by snapshot index: the new user's id, or 0
};

}  // namespace

void apply_plan(DirectoryStore& store, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context,
                std::string_view at) {
    Plan(store, snapshot, changes, context, at).run();
}

}  // namespace peoplesync::directory_model
