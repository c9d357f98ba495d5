#include "directory_reads.hpp"

#include <algorithm>
#include <unordered_map>

#include "records.hpp"
#include "schema.hpp"
#include "text_columns.hpp"

namespace peoplesync::postgres {

namespace {

using directory_model::split;

// The columns of a DestinationUser, in add_user()'s order.
constexpr const char* user_columns = "SELECT id, coalesce(hris_id, ''), email, active, synced, sync_hash";

void add_user(const Result& row, DestinationIndex& index) {
    index.users.push_back({row.integer(0, 0), std::string(row.text(0, 1)), std::string(row.text(0, 2)),
                           row.boolean(0, 3), row.boolean(0, 4), static_cast<std::uint64_t>(row.integer(0, 5))});
}

// Every department, and the memberships in which a user or a department
// that exists is not synced (each once).
void add_departments(Connection& connection, const std::string& s, DestinationIndex& index) {
    connection.for_each_row(
        "SELECT id, parent_id, name, synced FROM " + s + ".departments", {}, [&](const Result& row) {
            index.departments.push_back(
                {row.integer(0, 0), row.integer(0, 1), std::string(row.text(0, 2)), row.boolean(0, 3)});
        });
    // Each side through its index (users nobody syncs, memberships by
    // department): typically few rows, where a join would read every
    // membership.
    connection.for_each_row("SELECT m.user_id, m.department_id FROM " + s + ".users u JOIN " + s +
                                ".memberships m ON m.user_id = u.id WHERE NOT u.synced UNION SELECT m.user_id, "
                                "m.department_id FROM " +
                                s + ".departments d JOIN " + s +
                                ".memberships m ON m.department_id = d.id WHERE NOT d.synced",
                            {}, [&](const Result& row) {
                                index.memberships_outside_sync.push_back({row.integer(0, 0), row.integer(0, 1)});
                            });
}

}  // namespace

std::string text_array(std::span<const std::string> texts) {
    std::string out = "{";
    for (const auto& text : texts) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::string id_array(std::span<const std::int64_t> ids) {
    return "{" + directory_model::id_list(ids) + "}";
}

DestinationIndex read_index(Connection& connection, const std::string& schema) {
    const std::string s = connection.quote_identifier(schema);
    DestinationIndex index;
    // One snapshot of the database for all three reads.
    Transaction reading(connection);
    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    // The planner's estimate (-1 before the first ANALYZE): enough to spare most reallocations.
    const std::int64_t estimate =
        connection.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass", {s + ".users"})
            .integer(0, 0);
    index.users.reserve(static_cast<std::size_t>(std::max<std::int64_t>(estimate, 0)));
    connection.for_each_row(std::string(user_columns) + " FROM " + s + ".users", {},
                            [&](const Result& row) { add_user(row, index); });
    add_departments(connection, s, index);
    index.sync_hash_family = stored_sync_hash_family(connection, schema);
    reading.commit();
    return index;
}

DestinationIndex read_index_for(Connection& connection, const std::string& schema,
                                std::span<const std::string> hris_ids) {
    const std::string s = connection.quote_identifier(schema);
    DestinationIndex index;
    Transaction reading(connection);
    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    connection.for_each_row(std::string(user_columns) + " FROM " + s + ".users WHERE NOT synced ORDER BY id", {},
                            [&](const Result& row) { add_user(row, index); });
    connection.for_each_row(
        std::string(user_columns) + " FROM " + s + ".users WHERE synced AND hris_id = ANY($1::text[]) ORDER BY id",
        {text_array(hris_ids)}, [&](const Result& row) { add_user(row, index); });
    index.synced_users = connection.execute("SELECT count(*) FROM " + s + ".users WHERE synced").integer(0, 0);
    add_departments(connection, s, index);
    index.sync_hash_family = stored_sync_hash_family(connection, schema);
    reading.commit();
    return index;
}

std::vector<DestinationRecord> read_records(Connection& connection, const std::string& schema,
                                            std::span<const std::int64_t> ids) {
    if (ids.empty()) return {};
    Transaction reading(connection);
    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    auto out = read_records_within(connection, schema, ids);
    reading.commit();
    return out;
}

std::vector<DestinationRecord> read_records_within(Connection& connection, const std::string& schema,
                                                   std::span<const std::int64_t> ids) {
    std::vector<DestinationRecord> out;
    if (ids.empty()) return out;
    const std::string s = connection.quote_identifier(schema);
    const std::string listed = id_array(ids);
    std::unordered_map<std::int64_t, std::size_t> position;
    connection.for_each_row(
        "SELECT u.id, " + text_columns_selected() +
            ", u.active, "
            "CASE WHEN u.manager_id IS NULL THEN '' "
            "ELSE coalesce(m.hris_id, '(directory user ' || u.manager_id || ')') END, "
            "CASE WHEN u.synced THEN coalesce(f.fields, '') ELSE '' END "
            "FROM " +
            s + ".users u LEFT JOIN " + s + ".users m ON m.id = u.manager_id LEFT JOIN " + s +
            ".field_sets f ON f.id = u.synced_field_set WHERE u.id = ANY($1::bigint[]) ORDER BY u.id",
        {listed}, [&](const Result& row) {
            DestinationRecord record;
            record.id = row.integer(0, 0);
            User& u = record.user;
            const auto texts = text_slots(u);
            int at = 1;
            for (const TextColumn& column : text_columns()) *texts[column.text] = row.text(0, at++);
            u.active = row.boolean(0, at);
            u.manager_hris_id = row.text(0, at + 1);
            record.synced_fields = split(row.text(0, at + 2), ',');
            position[record.id] = out.size();
            out.push_back(std::move(record));
        });
    connection.for_each_row(
        "SELECT user_id, department_id FROM " + s + ".memberships WHERE user_id = ANY($1::bigint[]) ORDER BY 1, 2",
        {listed}, [&](const Result& row) {
            const auto it = position.find(row.integer(0, 0));
            if (it != position.end()) out[it->second].department_ids.push_back(row.integer(0, 1));
        });
    return out;
}

std::vector<std::string> read_held_hris_ids(Connection& connection, const std::string& schema,
                                            std::span<const std::string> hris_ids) {
    std::vector<std::string> held;
    if (hris_ids.empty()) return held;
    connection.for_each_row("SELECT hris_id FROM " + connection.quote_identifier(schema) +
                                ".users WHERE hris_id = ANY($1::text[]) ORDER BY hris_id",
                            {text_array(hris_ids)}, [&](const Result& row) { held.emplace_back(row.text(0, 0)); });
    return held;
}

std::string read_state_token(Connection& connection, const std::string& schema) {
    const Result meta = connection.execute("SELECT key, value FROM " + connection.quote_identifier(schema) +
                                           ".directory_meta WHERE key IN ('instance', 'generation') ORDER BY key");
    if (meta.rows() != 2) return "";
    return "postgres " + std::string(meta.text(1, 1)) + " generation " + std::string(meta.text(0, 1));
}

}  // namespace peoplesync::postgres
