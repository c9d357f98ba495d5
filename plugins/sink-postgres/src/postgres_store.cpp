#include "postgres_store.hpp"

#include <array>
#include <charconv>
#include <vector>

#include "directory_reads.hpp"
#include "records.hpp"
#include "text_columns.hpp"

namespace peoplesync::postgres {

using directory_model::AuditRow;
using directory_model::ManagerRow;
using directory_model::MembershipRow;
using directory_model::NewDepartment;
using directory_model::NewUser;
using directory_model::RowsOf;
using directory_model::RunStamp;
using directory_model::texts_of;
using directory_model::Unsync;
using directory_model::UserUpdate;

namespace {

// A number as COPY's text, held where a row's values can point at it.
class Number {
public:
    explicit Number(std::int64_t value) {
        length_ = static_cast<std::size_t>(std::to_chars(text_.data(), text_.data() + text_.size(), value).ptr -
                                           text_.data());
    }
    std::string_view view() const { return {text_.data(), length_}; }

private:
    std::array<char, 24> text_{};
    std::size_t length_ = 0;
};

template <typename Row, typename Value>
std::string array_of(std::span<const Row> rows, Value value) {
    std::string out = "{";
    for (const Row& row : rows) {
        if (out.size() > 1) out += ',';
        out += value(row);
    }
    return out + "}";
}

std::string ids_of_users(std::span<const MembershipRow> rows) {
    return array_of(rows, [](const MembershipRow& m) { return std::to_string(m.user_id); });
}
std::string ids_of_departments(std::span<const MembershipRow> rows) {
    return array_of(rows, [](const MembershipRow& m) { return std::to_string(m.department_id); });
}

constexpr CopyWriter::Value null_value = std::nullopt;

CopyWriter::Value id_or_null(const Number& number, std::int64_t id) {
    return id == 0 ? null_value : CopyWriter::Value(number.view());
}

}  // namespace

PostgresStore::PostgresStore(Connection& connection, const std::string& schema)
    : connection_(connection), s_(connection.quote_identifier(schema)) {}

void PostgresStore::record_run(const RunStamp& run) {
    connection_.execute("INSERT INTO " + s_ +
                            ".audit_runs(run_id, pipeline, at) VALUES ($1, $2, $3::timestamptz) "
                            "ON CONFLICT (pipeline, run_id) DO UPDATE SET at = EXCLUDED.at",
                        {std::to_string(run.run_id), std::string(run.pipeline), std::string(run.at)});
}

std::int64_t PostgresStore::field_set(const std::string& fields) {
    connection_.execute("INSERT INTO " + s_ + ".field_sets(fields) VALUES ($1) ON CONFLICT (fields) DO NOTHING",
                        {fields});
    const Result id = connection_.execute("SELECT id FROM " + s_ + ".field_sets WHERE fields = $1", {fields});
    if (id.rows() == 0) throw Error("the directory lost its list of synced fields \"" + fields + "\"");
    return id.integer(0, 0);
}

DepartmentPaths PostgresStore::department_paths() {
    const Result rows = connection_.execute("SELECT id, parent_id, name FROM " + s_ + ".departments");
    return DepartmentPaths(
        static_cast<std::size_t>(rows.rows()), [&](std::size_t i) { return rows.integer(static_cast<int>(i), 0); },
        [&](std::size_t i) { return rows.integer(static_cast<int>(i), 1); },
        [&](std::size_t i) { return rows.text(static_cast<int>(i), 2); });
}

// Past both the highest id and the last the table's sequence handed out
// (to another application's insert), and the sequence moved past the
// reserved ids, so its next insert takes none of them. The setval is not
// undone by a rollback: a failed run leaves a gap in the ids.
std::int64_t PostgresStore::reserve_ids(Table table, std::size_t count) {
    const std::string name = s_ + (table == Table::users ? ".users" : ".departments");
    const Result first = connection_.execute("SELECT setval(seq, greatest((SELECT coalesce(max(id), 0) FROM " + name +
                                                 "), coalesce(pg_sequence_last_value(seq), 0)) + $2) - $2 + 1 "
                                                 "FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS seq) s",
                                             {name, std::to_string(count)});
    return first.integer(0, 0);
}

void PostgresStore::insert_departments(std::span<const NewDepartment> departments) {
    connection_.copy_in("COPY " + s_ + ".departments(id, parent_id, name, synced) FROM STDIN", [&](CopyWriter& rows) {
        for (const NewDepartment& d : departments) {
            const Number id(d.id), parent(d.parent_id);
            rows.row({id.view(), parent.view(), d.name, "t"});
        }
    });
}

void PostgresStore::adopt_departments(std::span<const std::int64_t> ids) {
    connection_.execute("UPDATE " + s_ + ".departments SET synced = true WHERE id = ANY($1::bigint[])",
                        {id_array(ids)});
}

void PostgresStore::insert_users(const RunStamp& run, const RowsOf<NewUser>& users) {
    const auto& columns = text_columns();
    std::string names = "id";
    for (const TextColumn& column : columns) names += ", " + column.name;
    names += ", active, manager_id, synced, synced_field_set, synced_pipeline, sync_hash, updated_at";
    const Number field_set(run.synced_field_set);
    std::vector<CopyWriter::Value> values(columns.size() + 8);
    connection_.copy_in("COPY " + s_ + ".users(" + names + ") FROM STDIN", [&](CopyWriter& rows) {
        for (std::size_t k = 0; k < users.count; ++k) {
            const NewUser user = users.row(k);
            const auto texts = texts_of(user.user);
            const Number id(user.id), manager(user.manager_id), hash(static_cast<std::int64_t>(user.sync_hash));
            std::size_t at = 0;
            values[at++] = id.view();
            for (const TextColumn& column : columns) {
                const std::string_view text = texts[column.text];
                values[at++] = column.field == FieldId::hris_id && text.empty() ? null_value : CopyWriter::Value(text);
            }
            values[at++] = user.user.active ? "t" : "f";
            values[at++] = id_or_null(manager, user.manager_id);
            values[at++] = "t";
            values[at++] = field_set.view();
            values[at++] = run.pipeline;
            values[at++] = hash.view();
            values[at++] = run.at;
            rows.row(std::span<const CopyWriter::Value>(values.data(), at));
        }
    });
}

// Into a temporary table by COPY, then one UPDATE from it: each changed
// column is set where the user's bit for it is.
void PostgresStore::update_users(const RunStamp& run, std::span<const UserUpdate> updates) {
    const auto& columns = text_columns();
    std::string create =
        "CREATE TEMPORARY TABLE peoplesync_updates (id bigint, mask bigint, active boolean, "
        "sync_hash bigint";
    std::string copied = "id, mask, active, sync_hash";
    std::string set;
    for (std::size_t c = 0; c < columns.size(); ++c) {
        const std::string& name = columns[c].name;
        create += ", " + name + " text";
        copied += ", " + name;
        const std::string value = columns[c].field == FieldId::hris_id ? "NULLIF(t." + name + ", '')" : "t." + name;
        set += name + " = CASE WHEN t.mask & " + std::to_string(std::uint64_t{1} << c) + " <> 0 THEN " + value +
               " ELSE u." + name + " END, ";
    }
    connection_.execute(create + ") ON COMMIT DROP");
    std::vector<CopyWriter::Value> values(columns.size() + 4);
    connection_.copy_in("COPY pg_temp.peoplesync_updates(" + copied + ") FROM STDIN", [&](CopyWriter& rows) {
        for (const UserUpdate& update : updates) {
            const auto texts = texts_of(update.user);
            const Number id(update.id), mask(static_cast<std::int64_t>(update.columns)),
                hash(static_cast<std::int64_t>(update.sync_hash));
            std::size_t at = 0;
            values[at++] = id.view();
            values[at++] = mask.view();
            values[at++] = update.user.active ? "t" : "f";
            values[at++] = hash.view();
            for (const TextColumn& column : columns) values[at++] = texts[column.text];
            rows.row(std::span<const CopyWriter::Value>(values.data(), at));
        }
    });
    connection_.execute("UPDATE " + s_ + ".users u SET " + set +
                            "synced = true, synced_field_set = $1, synced_pipeline = $2, sync_hash = t.sync_hash, "
                            "active = t.active, updated_at = $3::timestamptz FROM pg_temp.peoplesync_updates t "
                            "WHERE u.id = t.id",
                        {std::to_string(run.synced_field_set), std::string(run.pipeline), std::string(run.at)});
    connection_.execute("DROP TABLE pg_temp.peoplesync_updates");
}

void PostgresStore::unsync_users(const RunStamp& run, std::span<const Unsync> users) {
    connection_.execute(
        "UPDATE " + s_ +
            ".users u SET synced = false, synced_field_set = 0, synced_pipeline = '', sync_hash = 0, "
            "active = CASE WHEN d.deactivate THEN false ELSE u.active END, updated_at = $3::timestamptz "
            "FROM unnest($1::bigint[], $2::boolean[]) AS d(id, deactivate) WHERE u.id = d.id",
        {array_of(users, [](const Unsync& u) { return std::to_string(u.id); }),
         array_of(users, [](const Unsync& u) { return std::string(u.deactivate ? "t" : "f"); }), std::string(run.at)});
}

void PostgresStore::insert_memberships(std::span<const MembershipRow> memberships) {
    connection_.copy_in("COPY " + s_ + ".memberships(user_id, department_id) FROM STDIN", [&](CopyWriter& rows) {
        for (const MembershipRow& m : memberships) {
            const Number user(m.user_id), department(m.department_id);
            rows.row({user.view(), department.view()});
        }
    });
}

void PostgresStore::add_memberships(std::span<const MembershipRow> memberships) {
    connection_.execute("INSERT INTO " + s_ +
                            ".memberships(user_id, department_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) "
                            "ON CONFLICT DO NOTHING",
                        {ids_of_users(memberships), ids_of_departments(memberships)});
}

void PostgresStore::remove_memberships(std::span<const MembershipRow> memberships) {
    connection_.execute("DELETE FROM " + s_ +
                            ".memberships m USING unnest($1::bigint[], $2::bigint[]) AS d(user_id, department_id) "
                            "WHERE m.user_id = d.user_id AND m.department_id = d.department_id",
                        {ids_of_users(memberships), ids_of_departments(memberships)});
}

void PostgresStore::set_managers(std::span<const ManagerRow> managers) {
    connection_.execute(
        "UPDATE " + s_ +
            ".users u SET manager_id = NULLIF(d.manager_id, 0) FROM unnest($1::bigint[], $2::bigint[]) AS "
            "d(id, manager_id) WHERE u.id = d.id",
        {array_of(managers, [](const ManagerRow& m) { return std::to_string(m.user_id); }),
         array_of(managers, [](const ManagerRow& m) { return std::to_string(m.manager_id); })});
}

void PostgresStore::insert_audit(const RunStamp& run, const RowsOf<AuditRow>& audit) {
    const Number run_id(run.run_id);
    connection_.copy_in("COPY " + s_ + ".audit_log(run_id, user_id, action, field, old_value, new_value) FROM STDIN",
                        [&](CopyWriter& rows) {
                            for (std::size_t k = 0; k < audit.count; ++k) {
                                const AuditRow row = audit.row(k);
                                const Number user(row.user_id);
                                rows.row({run_id.view(), id_or_null(user, row.user_id), row.action, row.field,
                                          row.old_value, row.new_value});
                            }
                        });
}

// Made by the server: nothing to send.
void PostgresStore::audit_created(const RunStamp& run, std::int64_t first_id, std::size_t count) {
    connection_.execute("INSERT INTO " + s_ +
                            ".audit_log(run_id, user_id, action) SELECT $1, id, 'created' FROM "
                            "generate_series($2::bigint, $3::bigint) AS id ORDER BY id",
                        {std::to_string(run.run_id), std::to_string(first_id),
                         std::to_string(first_id + static_cast<std::int64_t>(count) - 1)});
}

}  // namespace peoplesync::postgres
