#include "directory_browser.hpp"

#include <unordered_map>

#include "browsing.hpp"
#include "directory_reads.hpp"
#include "schema.hpp"
#include "user_records.hpp"

namespace peoplesync::postgres {

using namespace directory_model;

namespace {

// The columns of a DirectoryListedUser, in listed()'s order, of users `u`.
constexpr const char* listed_columns =
    "u.id, coalesce(u.hris_id, ''), u.first_name, u.last_name, u.email, u.job_title, u.active, u.synced";

DirectoryListedUser listed(const Result& rows, int row) {
    return {rows.integer(row, 0),           std::string(rows.text(row, 1)),
            std::string(rows.text(row, 2)), std::string(rows.text(row, 3)),
            std::string(rows.text(row, 4)), std::string(rows.text(row, 5)),
            rows.boolean(row, 6),           rows.boolean(row, 7)};
}

// The SQLite browser's search keys (its search table's), as SQL: a prefix
// ($1, folded) of hris_id, email, "first last" or the last name, each folded
// by lower() of the "C" collation, which folds ASCII letters only, as the
// table does.
constexpr const char* search_matches =
    "(starts_with(lower(coalesce(u.hris_id, '') COLLATE \"C\"), $1) "
    "OR starts_with(lower(u.email COLLATE \"C\"), $1) "
    "OR starts_with(lower((u.first_name || ' ' || u.last_name) COLLATE \"C\"), $1) "
    "OR starts_with(lower(u.last_name COLLATE \"C\"), $1))";

// A page and its total in one snapshot.
void read_snapshot(Connection& connection) {
    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

}  // namespace

PgDirectoryBrowser::PgDirectoryBrowser(ConnectionSettings settings, std::string schema, std::string pipeline)
    : settings_(std::move(settings)), schema_(std::move(schema)), pipeline_(std::move(pipeline)) {}

PgDirectoryBrowser::Lease::~Lease() {
    if (!connection_ || !connection_->usable() || PQtransactionStatus(connection_->handle()) != PQTRANS_IDLE) return;
    std::lock_guard lock(browser_.mutex_);
    if (browser_.idle_.size() < pooled) browser_.idle_.push_back(std::move(connection_));
}

PgDirectoryBrowser::Lease PgDirectoryBrowser::connection() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection));
        }
    }
    auto connection = std::make_unique<Connection>(settings_);
    std::lock_guard lock(migrate_mutex_);
    // A schema no run has opened yet is made, or brought up to this build,
    // as the sink would (and one of a newer build refused).
    if (!migrated_) {
        migrate(*connection, schema_);
        migrated_ = true;
    }
    return Lease(*this, std::move(connection));
}

UserPage PgDirectoryBrowser::page(Connection& connection, const std::string& sql,
                                  std::initializer_list<Parameter> parameters, std::size_t limit) {
    const Result rows = connection.execute(sql, parameters);
    UserPage out;
    for (int row = 0; row < rows.rows(); ++row) out.users.push_back(listed(rows, row));
    end_page(out, limit);
    return out;
}

UserPage PgDirectoryBrowser::users(const UserQuery& query) {
    const std::int64_t after = after_cursor(query.after);
    const std::size_t limit = page_size(query.limit);
    const std::string folded = folded_search(query.search);
    // The search table's own separators: such a search matches nothing there.
    if (folded.find_first_of(std::string_view("\x01\x02", 2)) != std::string::npos) return UserPage{{}, "", 0};
    Lease c = connection();
    const std::string s = c->quote_identifier(schema_);
    Transaction reading(*c);
    read_snapshot(*c);
    const std::string more = std::to_string(limit + 1);
    UserPage out;
    if (folded.empty()) {
        out = page(
            *c,
            std::string("SELECT ") + listed_columns + " FROM " + s + ".users u WHERE u.id > $1 ORDER BY u.id LIMIT $2",
            {std::to_string(after), more}, limit);
        out.total = c->execute("SELECT count(*) FROM " + s + ".users").integer(0, 0);
    } else {
        out = page(*c,
                   std::string("SELECT ") + listed_columns + " FROM " + s + ".users u WHERE u.id > $2 AND " +
                       search_matches + " ORDER BY u.id LIMIT $3",
                   {folded, std::to_string(after), more}, limit);
        out.total =
            c->execute("SELECT count(*) FROM " + s + ".users u WHERE " + search_matches, {folded}).integer(0, 0);
    }
    reading.commit();
    return out;
}

std::optional<DirectoryUserDetail> PgDirectoryBrowser::user(std::int64_t id) {
    Lease c = connection();
    Transaction reading(*c);
    read_snapshot(*c);
    auto out = detail(*c, id);
    reading.commit();
    return out;
}

std::optional<DirectoryUserDetail> PgDirectoryBrowser::detail(Connection& connection, std::int64_t id) {
    const std::string s = connection.quote_identifier(schema_);
    const std::string user = std::to_string(id);
    PgUsers users(connection, schema_);
    auto found = users.records(std::span(&id, 1), true);
    if (found.empty()) return std::nullopt;
    std::unordered_map<std::int64_t, bool> synced_departments;
    {
        std::string listed = "{";
        for (const auto department : found.front().department_ids)
            listed += (listed.size() > 1 ? "," : "") + std::to_string(department);
        const Result rows = connection.execute(
            "SELECT id, synced FROM " + s + ".departments WHERE id = ANY($1::bigint[])", {listed + "}"});
        for (int row = 0; row < rows.rows(); ++row) synced_departments[rows.integer(row, 0)] = rows.boolean(row, 1);
    }
    DirectoryUserDetail out = detail_of(std::move(found.front()), synced_departments);
    const Result self = connection.execute(
        "SELECT u.synced, to_char(u.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "u.synced_pipeline, m.id, m.first_name, m.last_name, coalesce(m.hris_id, '') FROM " +
            s + ".users u LEFT JOIN " + s + ".users m ON m.id = u.manager_id WHERE u.id = $1",
        {user});
    if (self.rows() == 1) {
        out.synced = self.boolean(0, 0);
        out.updated_at = self.text(0, 1);
        if (out.synced) out.synced_by = self.text(0, 2).empty() ? pipeline_ : std::string(self.text(0, 2));
        if (!self.is_null(0, 3))
            out.manager = DirectoryPerson{self.integer(0, 3), person_name(self.text(0, 4), self.text(0, 5)),
                                          std::string(self.text(0, 6))};
    }
    // count(*) OVER () is taken before the LIMIT: every report.
    const Result reports =
        connection.execute("SELECT id, first_name, last_name, coalesce(hris_id, ''), count(*) OVER () FROM " + s +
                               ".users WHERE manager_id = $1 ORDER BY id LIMIT $2",
                           {user, std::to_string(DirectoryUserDetail::report_limit)});
    out.report_count = reports.rows() > 0 ? reports.integer(0, 4) : 0;
    for (int row = 0; row < reports.rows(); ++row)
        out.reports.push_back({reports.integer(row, 0), person_name(reports.text(row, 1), reports.text(row, 2)),
                               std::string(reports.text(row, 3))});
    return out;
}

std::vector<DirectoryDepartment> PgDirectoryBrowser::departments() {
    Lease c = connection();
    const std::string s = c->quote_identifier(schema_);
    Transaction reading(*c);
    read_snapshot(*c);
    const Result rows = c->execute("SELECT d.id, d.parent_id, d.name, d.synced, coalesce(m.members, 0) FROM " + s +
                                   ".departments d LEFT JOIN (SELECT department_id, count(*) AS members FROM " + s +
                                   ".memberships GROUP BY department_id) m ON m.department_id = d.id");
    reading.commit();
    std::vector<DirectoryDepartment> out;
    out.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row)
        out.push_back({rows.integer(row, 0), rows.integer(row, 1), std::string(rows.text(row, 2)), "",
                       rows.boolean(row, 3), rows.integer(row, 4)});
    name_departments(out);
    return out;
}

std::optional<UserPage> PgDirectoryBrowser::members(std::int64_t department_id, const std::string& after_text,
                                                    std::size_t limit) {
    const std::int64_t after = after_cursor(after_text);
    limit = page_size(limit);
    Lease c = connection();
    const std::string s = c->quote_identifier(schema_);
    const std::string department = std::to_string(department_id);
    Transaction reading(*c);
    read_snapshot(*c);
    if (c->execute("SELECT 1 FROM " + s + ".departments WHERE id = $1", {department}).rows() == 0) return std::nullopt;
    UserPage out = page(*c,
                        std::string("SELECT ") + listed_columns + " FROM " + s + ".memberships m JOIN " + s +
                            ".users u ON u.id = m.user_id WHERE m.department_id = $1 AND m.user_id > $2 "
                            "ORDER BY m.user_id LIMIT $3",
                        {department, std::to_string(after), std::to_string(limit + 1)}, limit);
    out.total =
        c->execute("SELECT count(*) FROM " + s + ".memberships WHERE department_id = $1", {department}).integer(0, 0);
    reading.commit();
    return out;
}

std::optional<DirectoryUserDetail> PgDirectoryBrowser::edit_user(
    std::int64_t id, const std::vector<std::pair<std::string, std::string>>& fields) {
    if (fields.empty()) throw Error("nothing to change: name at least one field and its new value");
    Lease c = connection();
    {
        Transaction editing(*c);
        if (!edit_fields(*c, schema_, id, "", fields, pipeline_)) return std::nullopt;
        editing.commit();
    }
    Transaction reading(*c);
    read_snapshot(*c);
    auto out = detail(*c, id);
    reading.commit();
    return out;
}

}  // namespace peoplesync::postgres
