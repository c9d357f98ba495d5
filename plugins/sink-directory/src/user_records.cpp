#include "user_records.hpp"

#include <unordered_map>

#include "schema.hpp"
#include "sqlite_statement.hpp"
#include "user_edits.hpp"

namespace peoplesync::directory {

using directory_model::PlannedEdit;
using sqlite::SqliteStatement;

namespace {

// The shared edit rules' reads, from this connection.
class SqliteUsers final : public directory_model::UserReader {
public:
    explicit SqliteUsers(sqlite3* db) : db_(db) {}
    std::vector<std::int64_t> ids_with_hris_id(const std::string& hris_id) override {
        return ids("SELECT id FROM users WHERE hris_id = ?", hris_id);
    }
    std::vector<std::int64_t> ids_with_email(const std::string& folded) override {
        return ids("SELECT id FROM users WHERE lower(email) = ?", folded);
    }
    std::vector<DestinationRecord> records(std::span<const std::int64_t> ids, bool with_paths) override {
        return directory::records(db_, ids, with_paths);
    }

private:
    std::vector<std::int64_t> ids(const char* sql, const std::string& bound) {
        std::vector<std::int64_t> out;
        SqliteStatement select(db_, sql);
        select.bind(1, bound);
        while (select.next()) out.push_back(select.integer(0));
        return out;
    }

    sqlite3* db_;
};

}  // namespace

std::vector<DestinationRecord> lookup(sqlite3* db, const std::string& who) {
    SqliteUsers users(db);
    return directory_model::lookup(users, who);
}

std::vector<DestinationRecord> records(sqlite3* db, std::span<const std::int64_t> ids, bool with_paths) {
    const std::string listed = "(" + id_list(ids) + ")";
    SqliteStatement select(
        db,
        "SELECT u.id, " + text_columns_selected() +
            ", u.active, "
            "CASE WHEN u.manager_id IS NULL THEN '' ELSE COALESCE(m.hris_id, '(directory user ' || u.manager_id || "
            "')') END, "
            "CASE WHEN u.synced = 1 THEN COALESCE(f.fields, u.synced_fields) ELSE '' END "
            "FROM users u LEFT JOIN users m ON m.id = u.manager_id LEFT JOIN field_sets f ON f.id = u.synced_field_set "
            "WHERE u.id IN " +
            listed);
    std::vector<DestinationRecord> out;
    std::unordered_map<std::int64_t, std::size_t> position;
    while (select.next()) {
        DestinationRecord record;
        record.id = select.integer(0);
        User& u = record.user;
        const auto texts = text_slots(u);
        int at = 1;
        for (const TextColumn& column : text_columns()) *texts[column.text] = select.text(at++);
        u.active = select.integer(at) != 0;
        u.manager_hris_id = select.text(at + 1);
        record.synced_fields = split(select.text(at + 2), ',');
        position[record.id] = out.size();
        out.push_back(std::move(record));
    }
    // By the key's first column alone: no users row to look up per membership.
    SqliteStatement memberships(db, "SELECT user_id, department_id FROM memberships WHERE user_id IN " + listed);
    while (memberships.next()) {
        auto it = position.find(memberships.integer(0));
        if (it != position.end()) out[it->second].department_ids.push_back(memberships.integer(1));
    }
    if (with_paths) {
        const DepartmentPaths paths = department_paths(db);
        for (auto& record : out)
            for (auto id : record.department_ids) record.user.departments.emplace_back(paths.path_of(id).value_or(""));
    }
    return out;
}

void edit_fields(sqlite3* db, const DestinationRecord& record, const std::string& who,
                 std::span<const std::pair<std::string, std::string>> edits, const std::string& pipeline) {
    SqliteUsers users(db);
    const auto planned = directory_model::plan_edits(users, record, who, edits, pipeline);
    const std::string at = now_text();
    SqliteStatement audit(db,
                          "INSERT INTO audit_log(run_id, user_id, action, field, old_value, new_value) "
                          "VALUES(0, ?, 'edited', ?, ?, ?)");
    for (const PlannedEdit& edit : planned) {
        const std::string placeholder = edit.column == "hris_id" ? "NULLIF(?, '')" : "?";
        SqliteStatement update(
            db, "UPDATE users SET " + edit.column + " = " + placeholder + ", updated_at = ? WHERE id = ?");
        switch (edit.kind) {
            case PlannedEdit::Kind::user:
                update.bind_id(1, edit.user_id);  // 0: no manager
                break;
            case PlannedEdit::Kind::flag:
                update.bind(1, std::int64_t{edit.flag});
                break;
            case PlannedEdit::Kind::text:
                update.bind(1, edit.value);
                break;
        }
        update.bind(2, at).bind(3, record.id).run();
        audit.bind(1, record.id).bind(2, edit.field).bind(3, edit.old_value).bind(4, edit.value).run();
    }
}

}  // namespace peoplesync::directory
