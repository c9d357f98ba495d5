#include "index_loading.hpp"

#include <algorithm>
#include <filesystem>

#include "schema.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_statement.hpp"
#include "user_records.hpp"

namespace peoplesync::directory {

using sqlite::SqliteStatement;

namespace {

// A JSON array of strings, for json_each().
std::string json_array(std::span<const std::string_view> texts) {
    std::string out = "[";
    for (const std::string_view text : texts) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char c : text) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                static const char* digits = "0123456789abcdef";
                out += "\\u00";
                out += digits[(c >> 4) & 0xf];
                out += digits[c & 0xf];
            } else {
                out += c;
            }
        }
        out += '"';
    }
    return out + "]";
}

// The columns of a DestinationUser, in add_user()'s order.
constexpr const char* user_columns = "SELECT id, COALESCE(hris_id, ''), email, active, synced, sync_hash";

void add_user(const SqliteStatement& row, DestinationIndex& index) {
    index.users.push_back({row.integer(0), std::string(row.text(1)), std::string(row.text(2)), row.integer(3) != 0,
                           row.integer(4) != 0, static_cast<std::uint64_t>(row.integer(5))});
}

// Every department, and the memberships in which the user or the department
// is not synced: typically few, found through the keys rather than a scan.
void add_sync_hash_family(sqlite3* db, DestinationIndex& index) {
    SqliteStatement select(db, stored_sync_hash_family);
    select.next();
    index.sync_hash_family = static_cast<std::uint32_t>(select.integer(0));
    select.next();
}

void add_departments(sqlite3* db, DestinationIndex& index) {
    std::vector<std::int64_t> unsynced_users, unsynced_departments;
    for (const auto& user : index.users)
        if (!user.synced) unsynced_users.push_back(user.id);
    SqliteStatement departments(db, "SELECT id, parent_id, name, synced FROM departments");
    while (departments.next()) {
        index.departments.push_back({departments.integer(0), departments.integer(1), std::string(departments.text(2)),
                                     departments.integer(3) != 0});
        if (!index.departments.back().synced) unsynced_departments.push_back(departments.integer(0));
    }
    std::sort(unsynced_users.begin(), unsynced_users.end());
    const auto user_unsynced = [&](std::int64_t user) {
        return std::binary_search(unsynced_users.begin(), unsynced_users.end(), user);
    };
    // Each membership once: one of an unsynced user in an unsynced
    // department is among the users'.
    auto collect = [&](const std::string& column, const std::vector<std::int64_t>& ids, bool skip_unsynced_users) {
        for (std::size_t start = 0; start < ids.size(); start += 1000) {
            auto part =
                std::span<const std::int64_t>(ids).subspan(start, std::min<std::size_t>(1000, ids.size() - start));
            SqliteStatement select(
                db, "SELECT user_id, department_id FROM memberships WHERE " + column + " IN (" + id_list(part) + ")");
            while (select.next())
                if (!skip_unsynced_users || !user_unsynced(select.integer(0)))
                    index.memberships_outside_sync.push_back({select.integer(0), select.integer(1)});
        }
    };
    collect("user_id", unsynced_users, false);
    collect("department_id", unsynced_departments, true);
}

}  // namespace

DestinationIndex read_index(sqlite3* db) {
    DestinationIndex index;
    {
        SqliteStatement count(db, "SELECT COUNT(*) FROM users");
        count.next();
        index.users.reserve(static_cast<std::size_t>(count.integer(0)));
        count.next();
    }
    SqliteStatement users(db, std::string(user_columns) + " FROM users");
    while (users.next()) add_user(users, index);
    add_departments(db, index);
    add_sync_hash_family(db, index);
    return index;
}

DestinationIndex read_index_for(sqlite3* db, std::span<const std::string> hris_ids) {
    DestinationIndex index;
    SqliteStatement unsynced(db, std::string(user_columns) + " FROM users WHERE synced = 0");
    while (unsynced.next()) add_user(unsynced, index);
    // Those users are not added again below (ids ascending: the index's order).
    std::vector<std::int64_t> unsynced_ids;
    for (const auto& user : index.users) unsynced_ids.push_back(user.id);
    std::sort(unsynced_ids.begin(), unsynced_ids.end());
    // Each once, in the index's order (neighbours share its pages), in
    // one statement: thousands of statements cost more than the lookups.
    std::vector<std::string_view> wanted(hris_ids.begin(), hris_ids.end());
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    SqliteStatement by_hris_id(
        db, std::string(user_columns) + " FROM users WHERE hris_id IN (SELECT value FROM json_each(?))");
    const std::string list = json_array(wanted);
    by_hris_id.bind(1, list);
    while (by_hris_id.next())
        if (!std::binary_search(unsynced_ids.begin(), unsynced_ids.end(), by_hris_id.integer(0)))
            add_user(by_hris_id, index);
    // Of all users less those not synced, counted through the smallest index.
    SqliteStatement count(db, "SELECT (SELECT COUNT(*) FROM users) - (SELECT COUNT(*) FROM users WHERE synced = 0)");
    count.next();
    index.synced_users = count.integer(0);
    count.next();
    add_departments(db, index);
    add_sync_hash_family(db, index);
    return index;
}

std::vector<std::string> held_hris_ids(const std::string& file, int busy_timeout_ms,
                                       std::span<const std::string> hris_ids) {
    std::vector<std::string> held;
    // No database yet: the directory holds nobody.
    if (hris_ids.empty() || !std::filesystem::exists(file)) return held;
    const sqlite::SideConnection connection("directory", file, SQLITE_OPEN_READONLY, busy_timeout_ms);
    sqlite3* db = connection.get();
    const std::vector<std::string_view> wanted(hris_ids.begin(), hris_ids.end());
    const std::string list = json_array(wanted);
    SqliteStatement select(db, "SELECT hris_id FROM users WHERE hris_id IN (SELECT value FROM json_each(?))");
    select.bind(1, list);
    while (select.next()) held.emplace_back(select.text(0));
    return held;
}

}  // namespace peoplesync::directory
