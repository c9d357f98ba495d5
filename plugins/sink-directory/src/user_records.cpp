#include "user_records.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

#include <peoplesync/directory.hpp>
#include <peoplesync/error.hpp>
#include <peoplesync/validation.hpp>

#include "schema.hpp"
#include "sqlite_statement.hpp"

namespace peoplesync::directory {

using sqlite::SqliteStatement;

std::vector<DestinationRecord> lookup(sqlite3* db, const std::string& who) {
    std::vector<std::int64_t> ids;
    SqliteStatement by_hris(db, "SELECT id FROM users WHERE hris_id = ?");
    by_hris.bind(1, who);
    while (by_hris.next()) ids.push_back(by_hris.integer(0));
    if (ids.empty()) {
        const std::string folded = fold_case(who);
        SqliteStatement by_email(db, "SELECT id FROM users WHERE lower(email) = ?");
        by_email.bind(1, folded);
        while (by_email.next()) ids.push_back(by_email.integer(0));
    }
    if (ids.size() > 1) throw Error("several users have the email \"" + who + "\"; name one by hris_id");
    if (ids.empty()) return {};
    return records(db, ids, true);
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

namespace {

// What plan() takes: the text fields, active and manager (not the profile
// image, nor departments, which are memberships).
std::string editable_fields() {
    std::string out;
    for (const FieldSpec& spec : field_specs)
        if (spec.kind == FieldKind::text || spec.kind == FieldKind::flag || spec.kind == FieldKind::manager)
            out += (out.empty() ? "" : ", ") + std::string(spec.name);
    return out;
}

// One checked edit, ready to write.
struct PlannedEdit {
    std::string field;
    std::string column;
    std::string old_value;
    std::string value;
    bool is_number = false;
    std::int64_t number = 0;
};

PlannedEdit plan(sqlite3* db, const DestinationRecord& record, const std::string& who, const std::string& field_name,
                 const std::string& value, const std::string& pipeline) {
    if (std::find(record.synced_fields.begin(), record.synced_fields.end(), field_name) != record.synced_fields.end())
        throw SyncedFieldError(field_name + " of " + who + " is synced from the HRIS and read-only here (pipeline " +
                                   pipeline + " syncs it); change it in the HRIS, or sync fewer fields",
                               field_name, pipeline);
    PlannedEdit edit{field_name, "", "", value};
    if (field_name == "active") {
        if (value != "true" && value != "false") throw Error("active takes true or false, not \"" + value + "\"");
        edit.old_value = record.user.active ? "true" : "false";
        edit.column = "active";
        edit.number = value == "true";
        edit.is_number = true;
    } else if (field_name == "manager") {
        edit.old_value = record.user.manager_hris_id;
        edit.column = "manager_id";
        edit.is_number = true;
        if (!value.empty()) {
            auto managers = lookup(db, value);
            if (managers.empty()) throw Error("no user \"" + value + "\" to be the manager");
            if (managers.front().id == record.id) throw Error("a user cannot manage themselves");
            edit.number = managers.front().id;
        }
    } else {
        const auto f = field_named(field_name);
        if (!f || spec_of(*f).kind != FieldKind::text)
            throw Error("\"" + field_name + "\" is not a field one can set here (fields: " + editable_fields() + ")");
        auto columns = field_columns().find(field_name);
        if (field_name == "email" && !is_valid_email(value)) throw Error("\"" + value + "\" is not an email address");
        if (field_name == "hris_id" && !value.empty()) {
            auto other = lookup(db, value);
            if (!other.empty() && other.front().id != record.id)
                throw Error("hris_id \"" + value + "\" already belongs to another user");
        }
        edit.old_value = column_value(record.user, field_name);
        edit.column = columns->second.front();
    }
    return edit;
}

}  // namespace

void edit_fields(sqlite3* db, const DestinationRecord& record, const std::string& who,
                 std::span<const std::pair<std::string, std::string>> edits, const std::string& pipeline) {
    std::vector<PlannedEdit> planned;
    for (const auto& [field, value] : edits) planned.push_back(plan(db, record, who, field, value, pipeline));
    const std::string at = now_text();
    SqliteStatement audit(db,
                          "INSERT INTO audit_log(run_id, user_id, action, field, old_value, new_value) "
                          "VALUES(0, ?, 'edited', ?, ?, ?)");
    for (const PlannedEdit& edit : planned) {
        const std::string placeholder = edit.column == "hris_id" ? "NULLIF(?, '')" : "?";
        SqliteStatement update(
            db, "UPDATE users SET " + edit.column + " = " + placeholder + ", updated_at = ? WHERE id = ?");
        if (edit.column == "manager_id")
            update.bind_id(1, edit.number);  // 0: no manager
        else if (edit.is_number)
            update.bind(1, edit.number);
        else
            update.bind(1, edit.value);
        update.bind(2, at).bind(3, record.id).run();
        audit.bind(1, record.id).bind(2, edit.field).bind(3, edit.old_value).bind(4, edit.value).run();
    }
}

}  // namespace peoplesync::directory
