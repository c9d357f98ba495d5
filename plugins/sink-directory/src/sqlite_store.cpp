#include <array>
#include <map>
#include <memory>
#include <optional>

#include "applier.hpp"
#include "apply_plan.hpp"
#include "directory_store.hpp"
#include "records.hpp"
#include "schema.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_statement.hpp"
#include "tuning.hpp"

namespace peoplesync::directory {

using directory_model::AuditRow;
using directory_model::DirectoryStore;
using directory_model::ManagerRow;
using directory_model::MembershipRow;
using directory_model::NewDepartment;
using directory_model::NewUser;
using directory_model::RowsOf;
using directory_model::RunStamp;
using directory_model::texts_of;
using directory_model::Unsync;
using directory_model::UserUpdate;
using sqlite::bind_feed;
using sqlite::execute;
using sqlite::rows_of;
using sqlite::RowValue;
using sqlite::SqliteStatement;

namespace {

// The indexes a large load drops and builds again: created users arrive in
// the source's order, so their keys land all over these. The others stay:
// a load appends to audit_by_run in its order, and users_unsynced leaves out
// created users, who are synced.
const char* const rebuilt_indexes[] = {"users_by_hris_id", "memberships_by_department"};

// The rows of many users go in through one statement each over a row feed
// (sqlite_rows.hpp); the few others one statement per row.
class SqliteStore final : public DirectoryStore {
public:
    SqliteStore(sqlite3* db, bool large) : db_(db) {
        if (large) write_back_.emplace(sqlite3_db_filename(db_, "main"));
    }

    // What the run wrote so far starts on its way to disk (a large load's).
    void written() {
        if (write_back_) write_back_->start();
    }

    void record_run(const RunStamp& run) override {
        SqliteStatement record(db_, "INSERT OR REPLACE INTO audit_runs(run_id, pipeline, at) VALUES(?, ?, ?)");
        record.bind(1, run.run_id).bind(2, run.pipeline).bind(3, run.at).run();
    }

    std::int64_t field_set(const std::string& fields) override {
        SqliteStatement insert(db_, "INSERT OR IGNORE INTO field_sets(fields) VALUES(?)");
        insert.bind(1, fields).run();
        SqliteStatement select(db_, "SELECT id FROM field_sets WHERE fields = ?");
        select.bind(1, fields);
        if (!select.next()) throw Error("the directory lost its list of synced fields \"" + fields + "\"");
        const std::int64_t id = select.integer(0);
        select.next();
        return id;
    }

    DepartmentPaths department_paths() override { return directory::department_paths(db_); }

    // The run's transaction keeps every other writer out.
    std::int64_t reserve_ids(Table table, std::size_t) override {
        SqliteStatement select(db_, std::string("SELECT COALESCE(MAX(id), 0) + 1 FROM ") +
                                        (table == Table::users ? "users" : "departments"));
        select.next();
        const std::int64_t id = select.integer(0);
        select.next();
        return id;
    }

    void insert_departments(std::span<const NewDepartment> departments) override {
        const auto rows = rows_of(departments.size(), [&](std::size_t row, int column, RowValue& value) {
            const NewDepartment& d = departments[row];
            if (column == 0) value.integer(d.id);
            if (column == 1) value.integer(d.parent_id);
            if (column == 2) value.text(d.name);
        });
        SqliteStatement insert(db_,
                               "INSERT INTO departments(id, parent_id, name, synced) SELECT c0, c1, c2, 1 FROM "
                               "peoplesync_rows(?)");
        bind_feed(insert, 1, rows).run();
    }

    void adopt_departments(std::span<const std::int64_t> ids) override {
        SqliteStatement adopt(db_, "UPDATE departments SET synced = 1 WHERE id = ?");
        for (const std::int64_t id : ids) adopt.bind(1, id).run();
    }

    void insert_users(const RunStamp& run, const RowsOf<NewUser>& users) override {
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
                                        values + value_at(0) + value_at(1) + ", 1, ?, " + value_at(2).substr(2) +
                                        ", ? FROM peoplesync_rows(?)");
        // SQLite asks for a row's values one after the other: its record is
        // read once.
        std::size_t row_read = users.count;
        NewUser user;
        std::array<std::string_view, field_texts> texts;
        const auto rows = rows_of(users.count, [&](std::size_t row, int column, RowValue& value) {
            if (row != row_read) {
                user = users.row(row);
                texts = texts_of(user.user);
                row_read = row;
            }
            if (column == 0) return value.integer(user.id);
            if (column < texts_end) return value.text(texts[text_columns[static_cast<std::size_t>(column - 1)].text]);
            switch (column - texts_end) {
                case 0:
                    return value.integer(user.user.active);
                case 1:
                    return value.id(user.manager_id);
                case 2:
                    return value.integer(static_cast<std::int64_t>(user.sync_hash));
                default:
                    return;
            }
        });
        bind_feed(insert.bind(1, run.synced_field_set).bind(2, run.at), 3, rows).run();
        written();
    }

    void update_users(const RunStamp& run, std::span<const UserUpdate> updates) override {
        // One statement per changed user: its changed columns and its sync
        // state, by the set of columns.
        std::map<std::uint64_t, std::unique_ptr<SqliteStatement>> statements;
        const auto& columns = text_columns();
        for (const UserUpdate& update : updates) {
            auto statement = statements.find(update.columns);
            if (statement == statements.end()) {
                std::string sql = "UPDATE users SET ";
                for (std::size_t c = 0; c < columns.size(); ++c)
                    if (update.columns >> c & 1)
                        // An empty hris_id is NULL: the column is unique.
                        sql.append(columns[c].name)
                            .append(columns[c].field == FieldId::hris_id ? " = NULLIF(?, ''), " : " = ?, ");
                sql +=
                    "synced = 1, synced_fields = '', synced_field_set = ?, sync_hash = ?, active = ?, "
                    "updated_at = ? WHERE id = ?";
                statement = statements.emplace(update.columns, std::make_unique<SqliteStatement>(db_, sql)).first;
            }
            SqliteStatement& s = *statement->second;
            const auto texts = texts_of(update.user);
            int at = 1;
            for (std::size_t c = 0; c < columns.size(); ++c)
                if (update.columns >> c & 1) s.bind(at++, texts[columns[c].text]);
            s.bind(at, run.synced_field_set).bind(at + 1, static_cast<std::int64_t>(update.sync_hash));
            s.bind(at + 2, std::int64_t{update.user.active}).bind(at + 3, run.at).bind(at + 4, update.id).run();
        }
    }

    void unsync_users(const RunStamp& run, std::span<const Unsync> users) override {
        SqliteStatement unsync(db_,
                               "UPDATE users SET synced = 0, synced_fields = '', synced_field_set = 0, sync_hash = 0, "
                               "active = CASE WHEN ? = 1 THEN 0 ELSE active END, updated_at = ? WHERE id = ?");
        for (const Unsync& u : users) unsync.bind(1, std::int64_t{u.deactivate}).bind(2, run.at).bind(3, u.id).run();
    }

    void insert_memberships(std::span<const MembershipRow> memberships) override {
        SqliteStatement member(db_,
                               "INSERT OR IGNORE INTO memberships(user_id, department_id) SELECT c0, c1 FROM "
                               "peoplesync_rows(?)");
        const auto rows = rows_of(memberships.size(), [&](std::size_t row, int column, RowValue& value) {
            if (column == 0) value.integer(memberships[row].user_id);
            if (column == 1) value.integer(memberships[row].department_id);
        });
        bind_feed(member, 1, rows).run();
        written();
    }

    void add_memberships(std::span<const MembershipRow> memberships) override {
        SqliteStatement add(db_, "INSERT OR IGNORE INTO memberships(user_id, department_id) VALUES(?, ?)");
        for (const MembershipRow& m : memberships) add.bind(1, m.user_id).bind(2, m.department_id).run();
    }

    void remove_memberships(std::span<const MembershipRow> memberships) override {
        SqliteStatement remove(db_, "DELETE FROM memberships WHERE user_id = ? AND department_id = ?");
        for (const MembershipRow& m : memberships) remove.bind(1, m.user_id).bind(2, m.department_id).run();
    }

    void set_managers(std::span<const ManagerRow> managers) override {
        SqliteStatement set_manager(db_, "UPDATE users SET manager_id = ? WHERE id = ?");
        for (const ManagerRow& m : managers) set_manager.bind_id(1, m.manager_id).bind(2, m.user_id).run();
    }

    void insert_audit(const RunStamp& run, const RowsOf<AuditRow>& audit) override {
        SqliteStatement insert(db_,
                               "INSERT INTO audit_log(run_id, user_id, action, field, old_value, new_value) "
                               "SELECT ?, c0, c1, c2, c3, c4 FROM peoplesync_rows(?)");
        std::size_t row_read = audit.count;
        AuditRow row;
        const auto rows = rows_of(audit.count, [&](std::size_t k, int column, RowValue& value) {
            if (k != row_read) {
                row = audit.row(k);
                row_read = k;
            }
            switch (column) {
                case 0:
                    return value.id(row.user_id);
                case 1:
                    return value.text(row.action);
                case 2:
                    return value.text(row.field);
                case 3:
                    return value.text(row.old_value);
                case 4:
                    return value.text(row.new_value);
                default:
                    return;
            }
        });
        bind_feed(insert.bind(1, run.run_id), 2, rows).run();
    }

    void audit_created(const RunStamp& run, std::int64_t first_id, std::size_t count) override {
        SqliteStatement created(
            db_, "INSERT INTO audit_log(run_id, user_id, action) SELECT ?, c0, 'created' FROM peoplesync_rows(?)");
        const auto ids = rows_of(count, [&](std::size_t row, int column, RowValue& value) {
            if (column == 0) value.integer(first_id + static_cast<std::int64_t>(row));
        });
        bind_feed(created.bind(1, run.run_id), 2, ids).run();
    }

private:
    sqlite3* db_;
    std::optional<WriteBack> write_back_;  // a large load's
};

}  // namespace

void apply_changes(sqlite3* db, const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context,
                   bool large) {
    if (large)
        for (const char* name : rebuilt_indexes) execute(db, std::string("DROP INDEX IF EXISTS ") + name);
    SqliteStore store(db, large);
    directory_model::apply_plan(store, snapshot, changes, context, now_text());
    if (large) {
        // (apply() sets the usual cache and one thread back after.)
        execute(db, index_build_cache);
        execute(db, index_build_threads);
        for (const char* statement : indexes) {
            execute(db, statement);
            store.written();
        }
    }
}

}  // namespace peoplesync::directory
