#include "user_records.hpp"

#include "directory_reads.hpp"

namespace peoplesync::postgres {

using directory_model::PlannedEdit;

PgUsers::PgUsers(Connection& connection, const std::string& schema)
    : connection_(connection), schema_(schema), quoted_(connection.quote_identifier(schema)) {}

std::vector<std::int64_t> PgUsers::ids(const std::string& sql, const std::string& bound) {
    const Result rows = connection_.execute(sql, {bound});
    std::vector<std::int64_t> out;
    for (int row = 0; row < rows.rows(); ++row) out.push_back(rows.integer(row, 0));
    return out;
}

std::vector<std::int64_t> PgUsers::ids_with_hris_id(const std::string& hris_id) {
    return ids("SELECT id FROM " + quoted_ + ".users WHERE hris_id = $1 ORDER BY id", hris_id);
}

// lower() of the "C" collation folds ASCII letters only, as fold_case() does.
std::vector<std::int64_t> PgUsers::ids_with_email(const std::string& folded) {
    return ids("SELECT id FROM " + quoted_ + ".users WHERE lower(email COLLATE \"C\") = $1 ORDER BY id", folded);
}

std::vector<DestinationRecord> PgUsers::records(std::span<const std::int64_t> ids, bool with_paths) {
    auto out = read_records_within(connection_, schema_, ids);
    if (with_paths) {
        const DepartmentPaths paths = read_department_paths(connection_, schema_);
        for (auto& record : out)
            for (const auto id : record.department_ids)
                record.user.departments.emplace_back(paths.path_of(id).value_or(""));
    }
    return out;
}

DepartmentPaths read_department_paths(Connection& connection, const std::string& schema) {
    const Result rows =
        connection.execute("SELECT id, parent_id, name FROM " + connection.quote_identifier(schema) + ".departments");
    return DepartmentPaths(
        static_cast<std::size_t>(rows.rows()), [&](std::size_t i) { return rows.integer(static_cast<int>(i), 0); },
        [&](std::size_t i) { return rows.integer(static_cast<int>(i), 1); },
        [&](std::size_t i) { return rows.text(static_cast<int>(i), 2); });
}

bool edit_fields(Connection& connection, const std::string& schema, std::int64_t id, std::string who,
                 std::span<const std::pair<std::string, std::string>> edits, const std::string& pipeline) {
    const std::string s = connection.quote_identifier(schema);
    const std::string user = std::to_string(id);
    // Locked first: a run that changes the user meanwhile commits before the checks read them.
    const Result locked =
        connection.execute("SELECT synced_pipeline FROM " + s + ".users WHERE id = $1 FOR UPDATE", {user});
    if (locked.rows() == 0) return false;
    const std::string synced_by = locked.text(0, 0).empty() ? pipeline : std::string(locked.text(0, 0));
    PgUsers users(connection, schema);
    const auto found = users.records(std::span(&id, 1), false);
    if (found.empty()) return false;
    const DestinationRecord& record = found.front();
    if (who.empty()) who = !record.user.hris_id.empty() ? record.user.hris_id : record.user.email;
    for (const PlannedEdit& edit : directory_model::plan_edits(users, record, who, edits, synced_by)) {
        std::string value;
        Parameter bound = edit.value;
        switch (edit.kind) {
            case PlannedEdit::Kind::text:
                value = edit.column == "hris_id" ? "NULLIF($1, '')" : "$1";
                break;
            case PlannedEdit::Kind::flag:
                value = "$1::boolean";
                bound = edit.flag ? "true" : "false";
                break;
            case PlannedEdit::Kind::user:
                value = "NULLIF($1::bigint, 0)";  // 0: no manager
                bound = std::to_string(edit.user_id);
                break;
        }
        connection.execute(
            "UPDATE " + s + ".users SET " + edit.column + " = " + value + ", updated_at = now() WHERE id = $2",
            {bound, user});
        connection.execute("INSERT INTO " + s +
                               ".audit_log(run_id, user_id, action, field, old_value, new_value) "
                               "VALUES (0, $1, 'edited', $2, $3, $4)",
                           {user, edit.field, edit.old_value, edit.value});
    }
    connection.execute("UPDATE " + s +
                       ".directory_meta SET value = (value::bigint + 1)::text WHERE key = 'generation'");
    return true;
}

}  // namespace peoplesync::postgres
