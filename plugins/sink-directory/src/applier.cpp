#include "applier.hpp"

#include <array>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "department_paths.hpp"
#include "schema.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_statement.hpp"
#include "tuning.hpp"
#include "user_records.hpp"

namespace peoplesync::directory {

using sqlite::bind_feed;
using sqlite::execute;
using sqlite::rows_of;
using sqlite::RowValue;
using sqlite::SqliteStatement;

namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

// The indexes a large load drops and builds again: created users arrive in
// the source's order, so their keys land all over these. The others stay:
// a load appends to audit_by_run in its order, and users_unsynced leaves out
// created users, who are synced.
const char* const rebuilt_indexes[] = {"users_by_hris_id", "memberships_by_department"};

// From this many created users on, their departments are looked up on a
// thread of their own.
constexpr std::size_t lookups_apart = 65536;

// The id of a list of synced fields, made on first use.
std::int64_t field_set(sqlite3* db, const std::string& fields) {
    SqliteStatement insert(db, "INSERT OR IGNORE INTO field_sets(fields) VALUES(?)");
    insert.bind(1, fields).run();
    SqliteStatement select(db, "SELECT id FROM field_sets WHERE fields = ?");
    select.bind(1, fields);
    if (!select.next()) throw Error("the directory lost its list of synced fields \"" + fields + "\"");
    const std::int64_t id = select.integer(0);
    select.next();
    return id;
}

std::int64_t next_id(sqlite3* db, const char* table) {
    SqliteStatement select(db, std::string("SELECT COALESCE(MAX(id), 0) + 1 FROM ") + table);
    select.next();
    const std::int64_t id = select.integer(0);
    select.next();
    return id;
}

// Writes one ChangeSet inside the caller's transaction.
class Applier {
public:
    Applier(sqlite3* db, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context)
        : db_(db),
          snapshot_(snapshot),
          changes_(changes),
          run_(context.run_id),
          at_(now_text()),
          synced_fields_(field_set(db, join(changes.synced_fields, ","))),
          audit_(db,
                 "INSERT INTO audit_log(run_id, user_id, action, field, old_value, new_value) "
                 "VALUES(?, ?, ?, ?, ?, ?)") {
        SqliteStatement record(db, "INSERT OR REPLACE INTO audit_runs(run_id, pipeline, at) VALUES(?, ?, ?)");
        record.bind(1, run_).bind(2, context.pipeline).bind(3, at_).run();
    }

    void run(bool large) {
        if (large) {
            for (const char* name : rebuilt_indexes) execute(db_, std::string("DROP INDEX IF EXISTS ") + name);
            write_back_.emplace(sqlite3_db_filename(db_, "main"));
        }
        departments();
        created();
        written();
        users();
        memberships();
        managers();
        if (large) {
            // (apply() sets the usual cache and one thread back after.)
            execute(db_, index_build_cache);
            execute(db_, index_build_threads);
            for (const char* statement : indexes) {
                execute(db_, statement);
                written();
            }
        }
    }

private:
    // What the run wrote so far starts on its way to disk (a large load's).
    void written() {
        if (write_back_) write_back_->start();
    }

    void audit(std::int64_t user, std::string_view action, std::string_view field = {}, std::string_view old_value = {},
               std::string_view new_value = {}) {
        audit_.bind(1, run_)
            .bind_id(2, user)
            .bind(3, action)
            .bind(4, field)
            .bind(5, old_value)
            .bind(6, new_value)
            .run();
    }

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

    void departments() {
        paths_ = department_paths(db_);
        department_ids_.reserve(paths_.size() + changes_.departments_created.size());
        for (std::size_t i = 0; i < paths_.size(); ++i) department_ids_.emplace(paths_[i], paths_.id(i));
        // Each created after its parent, with the next id; then one
        // statement writes them all and one their audit rows, in that order.
        const std::int64_t first = next_id(db_, "departments");
        const auto& created = changes_.departments_created;
        std::vector<std::int64_t> parents(created.size());
        std::vector<std::string_view> names(created.size());
        for (std::size_t k = 0; k < created.size(); ++k) {
            const std::string_view path = created[k];
            const auto sep = path.rfind(" > ");
            names[k] = sep == std::string_view::npos ? path : path.substr(sep + 3);
            parents[k] = sep == std::string_view::npos ? 0 : department(path.substr(0, sep));
            department_ids_[path] = first + static_cast<std::int64_t>(k);
        }
        const auto rows = rows_of(created.size(), [&](std::size_t row, int column, RowValue& value) {
            switch (column) {
                case 0:
                    return value.integer(first + static_cast<std::int64_t>(row));
                case 1:
                    return value.integer(parents[row]);
                case 2:
                    return value.text(names[row]);
                default:
                    return;
            }
        });
        SqliteStatement insert(db_,
                               "INSERT INTO departments(id, parent_id, name, synced) SELECT c0, c1, c2, 1 FROM "
                               "peoplesync_rows(?)");
        bind_feed(insert, 1, rows).run();
        const auto paths = rows_of(created.size(), [&](std::size_t row, int column, RowValue& value) {
            if (column == 0) value.text(created[row]);
        });
        SqliteStatement audit_created(
            db_,
            "INSERT INTO audit_log(run_id, user_id, action, field, old_value, new_value) SELECT ?, NULL, "
            "'department_created', 'department', '', c0 FROM peoplesync_rows(?)");
        bind_feed(audit_created.bind(1, run_), 2, paths).run();
        SqliteStatement adopt(db_, "UPDATE departments SET synced = 1 WHERE id = ?");
        for (const auto& path : changes_.departments_adopted) {
            adopt.bind(1, department(path)).run();
            audit(0, "department_adopted", "department", "", path);
        }
    }

    // Created users get consecutive new ids, so their managers and
    // memberships are written with the rows, without looking anything up.
    void created() {
        if (changes_.created.empty()) return;
        const std::int64_t first = next_id(db_, "users");
        created_ids_.assign(snapshot_.users.size(), 0);
        for (std::size_t k = 0; k < changes_.created.size(); ++k) {
            check_record(changes_.created[k].snapshot_index);
            created_ids_[static_cast<std::size_t>(changes_.created[k].snapshot_index)] =
                first + static_cast<std::int64_t>(k);
        }

        // Their memberships' departments are looked up (a path each) on a
        // thread of their own while the users are written: for a large
        // load, a tenth of the time the rows take, and the other core has
        // room then. The memberships are written after the users.
        std::future<Memberships> looked_up =
            std::async(changes_.created.size() >= lookups_apart ? std::launch::async : std::launch::deferred, [&] {
                Memberships found;
                found.users.reserve(changes_.created.size() * 2);
                found.departments.reserve(changes_.created.size() * 2);
                for (std::size_t k = 0; k < changes_.created.size(); ++k)
                    for (const auto& path : desired(changes_.created[k].snapshot_index).departments) {
                        found.users.push_back(static_cast<std::uint32_t>(k));
                        found.departments.push_back(department(path));
                    }
                return found;
            });
        // c0 the id, c1 to cN the text columns, then the rest.
        const std::vector<TextColumn>& text_columns = peoplesync::text_columns();
        const int texts_end = 1 + static_cast<int>(text_columns.size());
        std::string names = "id", values = "c0";
        for (int c = 1; c < texts_end; ++c) {
            names += ", " + text_columns[static_cast<std::size_t>(c - 1)].name;
            values += ", c" + std::to_string(c);
        }
        auto value_at = [&](int offset) { return ", c" + std::to_string(texts_end + offset); };
        SqliteStatement insert(db_, "INSERT INTO users(" + names +
                                        ", active, manager_id, synced, synced_field_set, sync_hash, updated_at) "
                                        "SELECT " +
                                        values + value_at(0) + value_at(1) + ", 1" + value_at(2) + value_at(3) +
                                        value_at(4) + " FROM peoplesync_rows(?)");
        // SQLite asks for a row's values one after the other: its record is
        // read once.
        std::size_t row_read = changes_.created.size();
        std::array<std::string_view, field_texts> texts;
        bool active = false;
        const auto rows = rows_of(changes_.created.size(), [&](std::size_t row, int column, RowValue& value) {
            const CreatedUser& change = changes_.created[row];
            if (row != row_read) {
                const UserView u = snapshot_.users[static_cast<std::size_t>(change.snapshot_index)];
                texts = texts_of(u);
                active = u.active;
                row_read = row;
            }
            if (column == 0) return value.integer(first + static_cast<std::int64_t>(row));
            if (column < texts_end) return value.text(texts[text_columns[static_cast<std::size_t>(column - 1)].text]);
            switch (column - texts_end) {
                case 0:
                    return value.integer(active);
                case 1:
                    return value.id(change.manager_snapshot_index >= 0 ? created_id(change.manager_snapshot_index)
                                                                       : change.manager_destination_id);
                case 2:
                    return value.integer(synced_fields_);
                case 3:
                    return value.integer(static_cast<std::int64_t>(change.sync_hash));
                case 4:
                    return value.text(at_);
                default:
                    return;
            }
        });
        bind_feed(insert, 1, rows).run();
        written();
        const Memberships memberships = looked_up.get();
        SqliteStatement member(db_,
                               "INSERT OR IGNORE INTO memberships(user_id, department_id) SELECT c0, c1 FROM "
                               "peoplesync_rows(?)");
        const auto membership_rows =
            rows_of(memberships.users.size(), [&](std::size_t row, int column, RowValue& value) {
                if (column == 0) value.integer(first + memberships.users[row]);
                if (column == 1) value.integer(memberships.departments[row]);
            });
        bind_feed(member, 1, membership_rows).run();
        written();
        // One "created" row per user, standing for the user as their snapshot
        // record describes them (stored with the run), departments and
        // manager included; in one statement from their ids, consecutive.
        SqliteStatement created(
            db_, "INSERT INTO audit_log(run_id, user_id, action) SELECT ?, c0, 'created' FROM peoplesync_rows(?)");
        const auto ids = rows_of(changes_.created.size(), [&](std::size_t row, int column, RowValue& value) {
            if (column == 0) value.integer(first + static_cast<std::int64_t>(row));
        });
        bind_feed(created.bind(1, run_), 2, ids).run();
    }

    // What created users' memberships are written from.
    struct Memberships {
        std::vector<std::uint32_t> users;  // by their place in the ChangeSet's created users
        std::vector<std::int64_t> departments;
    };

    std::int64_t created_id(std::int64_t snapshot_index) const {
        if (snapshot_index < 0 || static_cast<std::size_t>(snapshot_index) >= created_ids_.size() ||
            created_ids_[static_cast<std::size_t>(snapshot_index)] == 0)
            throw Error("record " + std::to_string(snapshot_index) + " is not created by this run");
        return created_ids_[static_cast<std::size_t>(snapshot_index)];
    }

    // Existing users: field updates, links, (de)activation, unsync.
    void users() {
        // One statement per changed user: its changed columns and its sync
        // state, by the list of columns ("job_title,phone_number").
        std::map<std::string, std::unique_ptr<SqliteStatement>, std::less<>> updates;
        auto update_for = [&](const std::vector<std::string_view>& columns) -> SqliteStatement& {
            std::string key;
            for (std::string_view column : columns) key.append(column).append(1, ',');
            auto statement = updates.find(key);
            if (statement == updates.end()) {
                std::string sql = "UPDATE users SET ";
                // An empty hris_id is NULL: the column is unique.
                for (std::string_view column : columns)
                    sql.append(column).append(column == "hris_id" ? " = NULLIF(?, ''), " : " = ?, ");
                sql +=
                    "synced = 1, synced_fields = '', synced_field_set = ?, sync_hash = ?, active = ?, "
                    "updated_at = ? WHERE id = ?";
                statement = updates.emplace(key, std::make_unique<SqliteStatement>(db_, sql)).first;
            }
            return *statement->second;
        };
        SqliteStatement unsync(db_,
                               "UPDATE users SET synced = 0, synced_fields = '', synced_field_set = 0, sync_hash = 0, "
                               "active = CASE WHEN ? = 1 THEN 0 ELSE active END, updated_at = ? WHERE id = ?");
        std::vector<std::string_view> columns;
        for (const auto& change : changes_.users) {
            const std::int64_t id = change.destination_id;
            if (change.unsynced) {
                unsync.bind(1, std::int64_t{change.deactivated}).bind(2, at_).bind(3, id).run();
                audit(id, "unsynced", "hris_id", change.previous_hris_id, "");
                if (change.deactivated) audit(id, "deactivated");
                continue;
            }
            const UserView& user = desired(change.snapshot_index);
            columns.clear();
            for (const auto& f : change.fields)
                for (const auto& column : field_columns().at(f.field)) columns.push_back(column);
            SqliteStatement& update = update_for(columns);
            int at = 1;
            for (std::string_view column : columns) update.bind(at++, column_value(user, column));
            update.bind(at, synced_fields_).bind(at + 1, static_cast<std::int64_t>(change.sync_hash));
            update.bind(at + 2, std::int64_t{user.active}).bind(at + 3, at_).bind(at + 4, id).run();
            for (const auto& f : change.fields)
                audit(id, change.linked ? "linked_field" : "updated", f.field, f.old_value, f.new_value);
            if (change.linked) audit(id, "linked", "by", "", change.linked_by == LinkedBy::email ? "email" : "hris_id");
            if (change.reactivated) audit(id, "reactivated");
            if (change.deactivated) audit(id, "deactivated");
        }
    }

    void memberships() {
        SqliteStatement remove(db_, "DELETE FROM memberships WHERE user_id = ? AND department_id = ?");
        for (const auto& m : changes_.memberships_removed) {
            remove.bind(1, m.destination_id).bind(2, department(m.department)).run();
            audit(m.destination_id, "membership_removed", "department", m.department, "");
        }
        SqliteStatement add(db_, "INSERT OR IGNORE INTO memberships(user_id, department_id) VALUES(?, ?)");
        for (const auto& m : changes_.memberships_added) {
            add.bind(1, m.destination_id).bind(2, department(m.department)).run();
            audit(m.destination_id, "membership_added", "department", "", m.department);
        }
    }

    void managers() {
        SqliteStatement set_manager(db_, "UPDATE users SET manager_id = ? WHERE id = ?");
        for (const auto& m : changes_.managers) {
            const std::int64_t manager = m.new_manager_snapshot_index >= 0 ? created_id(m.new_manager_snapshot_index)
                                                                           : m.new_manager_destination_id;
            if (!m.new_manager_hris_id.empty() && manager == 0)
                throw Error("manager \"" + m.new_manager_hris_id + "\" of " + m.hris_id + " is not in the directory");
            set_manager.bind_id(1, manager).bind(2, m.destination_id).run();
            audit(m.destination_id, "manager_changed", "manager", m.old_manager_hris_id, m.new_manager_hris_id);
        }
    }

    sqlite3* db_;
    const Snapshot& snapshot_;
    const ChangeSet& changes_;
    std::int64_t run_;
    std::string at_;
    std::int64_t synced_fields_;  // their field_sets id
    SqliteStatement audit_;
    // Every department's id by path: views into paths_, or into the change
    // set for those created, both alive while the Applier is.
    DepartmentPaths paths_;
    std::unordered_map<std::string_view, std::int64_t> department_ids_;
    std::vector<std::int64_t> created_ids_;  // by snapshot index: the new user's id, or 0
    std::optional<WriteBack> write_back_;    // a large load's
};

}  // namespace

void apply_changes(sqlite3* db, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context,
                   bool large) {
    Applier(db, snapshot, changes, context).run(large);
}

}  // namespace peoplesync::directory
