#include "directory_browser.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "browsing.hpp"
#include "schema.hpp"
#include "sqlite_migrations.hpp"
#include "sqlite_statement.hpp"
#include "user_records.hpp"

namespace peoplesync::directory {

using namespace directory_model;
using sqlite::execute;
using sqlite::roll_back;
using sqlite::SqliteStatement;

namespace {

// The columns of a DirectoryListedUser, in listed()'s order, of users `u`.
constexpr const char* listed_columns =
    "u.id, COALESCE(u.hris_id, ''), u.first_name, u.last_name, u.email, u.job_title, u.active, u.synced";

DirectoryListedUser listed(const SqliteStatement& row) {
    return {row.integer(0),           std::string(row.text(1)), std::string(row.text(2)), std::string(row.text(3)),
            std::string(row.text(4)), std::string(row.text(5)), row.integer(6) != 0,      row.integer(7) != 0};
}

// Fills `page` with the rows of a statement that asked for one more than `limit`.
void fill(UserPage& page, SqliteStatement& rows, std::size_t limit) {
    while (rows.next()) page.users.push_back(listed(rows));
    end_page(page, limit);
}

std::int64_t single_number(sqlite3* db, const std::string& sql, std::int64_t bound = -1) {
    SqliteStatement select(db, sql);
    if (bound >= 0) select.bind(1, bound);
    std::int64_t value = 0;
    if (select.next()) {
        value = select.integer(0);
        while (select.next()) {
        }
    }
    return value;
}

// The smallest text greater than every text that starts with `prefix`
// (valid UTF-8, so its last byte is below 0xff); empty for an empty prefix.
std::string past_prefix(std::string prefix) {
    while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
    if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
    return prefix;
}

}  // namespace

SqliteDirectoryBrowser::SqliteDirectoryBrowser(std::string file, std::int64_t busy_timeout_ms, std::string pipeline,
                                               Logger& log)
    : file_(std::move(file)), busy_timeout_ms_(busy_timeout_ms), pipeline_(std::move(pipeline)), log_(log) {}

SqliteDirectoryBrowser::~SqliteDirectoryBrowser() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (building_db_ != nullptr) sqlite3_interrupt(building_db_);
    }
    if (builder_.joinable()) builder_.join();
}

std::optional<SqliteDirectoryBrowser::Connection> SqliteDirectoryBrowser::reader() {
    std::error_code missing;
    if (!std::filesystem::exists(file_, missing)) return std::nullopt;
    Connection db("directory", file_, SQLITE_OPEN_READONLY, busy_timeout_ms_);
    std::lock_guard lock(schema_mutex_);
    // A directory no run of this build has opened yet may be of an earlier
    // schema than the reads name: brought up to date once, as the sink would
    // (and one of a newer build refused).
    if (!schema_checked_ && schema_outdated(db.get())) {
        try {
            create_schema(writer().get());
        } catch (const Error& e) {
            throw Error("directory " + file_ + ": cannot bring its tables up to date: " + e.what());
        }
    }
    schema_checked_ = true;
    return db;
}

SqliteDirectoryBrowser::Connection SqliteDirectoryBrowser::writer() {
    return Connection("directory", file_, SQLITE_OPEN_READWRITE, busy_timeout_ms_);
}

template <typename Use>
bool SqliteDirectoryBrowser::with_table(sqlite3* db, bool wait, Use use) {
    std::unique_lock lock(mutex_);
    if (refresh_table(db)) {
        if (std::chrono::steady_clock::now() - table_->built_at() > rebuild_after) start_build();
        use(*table_);
        return true;
    }
    start_build();
    if (!wait || single_number(db, "SELECT COALESCE(MAX(id), 0) FROM users") > built_before_answering) return false;
    build_done_.wait_for(lock, build_wait, [this] { return !building_; });
    if (!table_) return false;
    // Read in a transaction begun after this call's: what this call would read.
    use(*table_);
    return true;
}

bool SqliteDirectoryBrowser::refresh_table(sqlite3* db) {
    if (!table_) return false;
    // In one read transaction: the changes and the rows they name alike.
    execute(db, "BEGIN");
    bool fresh = false;
    try {
        fresh = table_->refresh(db);
        execute(db, "COMMIT");
    } catch (...) {
        roll_back(db);
        table_.reset();
        throw;
    }
    if (!fresh) table_.reset();  // maybe half brought up to date
    return fresh;
}

void SqliteDirectoryBrowser::changed() {
    std::lock_guard lock(mutex_);
    if (table_) start_build();
}

void SqliteDirectoryBrowser::start_build() {
    if (building_ || stopping_ || std::chrono::steady_clock::now() < next_build_) return;
    // A thread that is done has said so under the lock and only returns.
    if (builder_.joinable()) builder_.join();
    building_ = true;
    try {
        builder_ = std::thread([this] { build(); });
    } catch (const std::system_error& e) {
        building_ = false;
        log_.warning("directory " + file_ + ": no thread to read the search table: " + e.what());
    }
}

void SqliteDirectoryBrowser::build() {
    const auto started = std::chrono::steady_clock::now();
    std::string failure;
    std::unique_ptr<SearchTable> table;
    std::optional<Connection> connection;
    try {
        connection.emplace("directory", file_, SQLITE_OPEN_READONLY, busy_timeout_ms_);
    } catch (const Error& e) {
        failure = e.what();
    }
    sqlite3* db = connection ? connection->get() : nullptr;
    bool go_on = false;
    {
        std::lock_guard lock(mutex_);
        go_on = !stopping_ && db != nullptr;
        if (go_on) building_db_ = db;
    }
    if (go_on) {
        try {
            // A table brought up to date will do, unless it is due to be read again.
            bool refreshed = false;
            {
                std::lock_guard lock(mutex_);
                refreshed = table_ && std::chrono::steady_clock::now() - table_->built_at() <= rebuild_after &&
                            refresh_table(db);
            }
            if (!refreshed) {
                execute(db, "BEGIN");
                table = SearchTable::build(db);
                execute(db, "COMMIT");
            }
        } catch (const std::exception& e) {  // Error, or no memory for a table this large
            failure = e.what();
        }
    }
    std::lock_guard lock(mutex_);
    building_db_ = nullptr;
    connection.reset();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (stopping_) {
    } else if (table) {
        log_.info("directory " + file_ + ": read its search table, " + std::to_string(table->users()) + " users in " +
                  std::to_string(seconds) + " s, " + std::to_string(table->bytes() >> 20) + " MiB");
        table_ = std::move(table);
    } else if (!failure.empty()) {
        next_build_ = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        log_.warning("directory " + file_ + ": could not read its search table (searches read the users in order " +
                     "meanwhile; tried again in a minute): " + failure);
    }
    building_ = false;
    build_done_.notify_all();
}

UserPage SqliteDirectoryBrowser::users(const UserQuery& query) {
    const std::int64_t after = after_cursor(query.after);
    const std::size_t limit = page_size(query.limit);
    const std::string folded = folded_search(query.search);
    auto db = reader();
    if (!db) return {};
    if (!folded.empty()) return search(db->get(), folded, after, limit);
    {
        std::lock_guard lock(mutex_);
        if (!table_) start_build();  // for the search that may follow
    }
    UserPage page;
    SqliteStatement rows(
        db->get(), std::string("SELECT ") + listed_columns + " FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?");
    rows.bind(1, after).bind(2, static_cast<std::int64_t>(limit + 1));
    fill(page, rows, limit);
    page.total = single_number(db->get(), "SELECT COUNT(*) FROM users");
    return page;
}

UserPage SqliteDirectoryBrowser::search(sqlite3* db, const std::string& folded, std::int64_t after, std::size_t limit) {
    SearchTable::Matches matches;
    if (!with_table(db, true, [&](const SearchTable& table) { matches = table.search(folded, after, limit); }))
        return search_in_order(db, folded, after, limit);
    UserPage page;
    page.total = matches.total;
    if (matches.ids.empty()) return page;
    SqliteStatement rows(db, std::string("SELECT ") + listed_columns + " FROM users u WHERE u.id IN (" +
                                 id_list(matches.ids) + ") ORDER BY u.id");
    while (rows.next()) page.users.push_back(listed(rows));
    if (matches.more) page.next = cursor(matches.ids.back());
    return page;
}

// Users in the order of their ids, each checked against the search, a step
// of ids at a time until a page is full, the users end or the time is up:
// then the page says where the next one starts. The search table's keys, as
// SQL: the same matches.
UserPage SqliteDirectoryBrowser::search_in_order(sqlite3* db, const std::string& folded, std::int64_t after,
                                                 std::size_t limit) {
    constexpr const char* keys[] = {"lower(hris_id)", "lower(email)", "lower(first_name || ' ' || last_name)",
                                    "lower(last_name)"};
    std::string matches;
    for (const char* key : keys) {
        if (!matches.empty()) matches += " OR ";
        matches += std::string("(") + key + " >= ?1 AND " + key + " < ?2)";
    }
    SqliteStatement rows(db, std::string("SELECT ") + listed_columns +
                                 " FROM users u WHERE u.id > ?3 AND u.id <= ?4 AND (" + matches +
                                 ") ORDER BY u.id LIMIT ?5");
    const std::string to = past_prefix(folded);
    const std::int64_t last = single_number(db, "SELECT COALESCE(MAX(id), 0) FROM users");
    const auto until = std::chrono::steady_clock::now() + scan_budget;
    UserPage page;
    std::int64_t from_id = after;
    while (from_id < last) {
        const std::int64_t to_id = std::min(last, from_id + scan_step);
        rows.bind(1, folded).bind(2, to).bind(3, from_id).bind(4, to_id);
        rows.bind(5, static_cast<std::int64_t>(limit + 1 - page.users.size()));
        while (rows.next()) page.users.push_back(listed(rows));
        if (end_page(page, limit)) return page;
        from_id = to_id;
        if (std::chrono::steady_clock::now() >= until) break;
    }
    if (from_id < last) page.next = cursor(from_id);
    return page;
}

std::optional<DirectoryUserDetail> SqliteDirectoryBrowser::user(std::int64_t id) {
    auto db = reader();
    if (!db) return std::nullopt;
    return detail(db->get(), id);
}

std::optional<DirectoryUserDetail> SqliteDirectoryBrowser::detail(sqlite3* db, std::int64_t id) {
    auto found = records(db, std::span(&id, 1), true);
    if (found.empty()) return std::nullopt;
    DestinationRecord& record = found.front();
    std::unordered_map<std::int64_t, bool> synced_departments;
    if (!record.department_ids.empty()) {
        SqliteStatement departments(
            db, "SELECT id, synced FROM departments WHERE id IN (" + id_list(record.department_ids) + ")");
        while (departments.next()) synced_departments[departments.integer(0)] = departments.integer(1) != 0;
    }
    DirectoryUserDetail out = detail_of(std::move(record), synced_departments);
    {
        SqliteStatement select(db,
                               "SELECT u.synced, u.updated_at, m.id, m.first_name, m.last_name, COALESCE(m.hris_id, "
                               "'') FROM users u LEFT JOIN users m ON m.id = u.manager_id WHERE u.id = ?");
        select.bind(1, id);
        if (select.next()) {
            out.synced = select.integer(0) != 0;
            out.updated_at = select.text(1);
            if (select.integer(2) != 0)
                out.manager = DirectoryPerson{select.integer(2), person_name(select.text(3), select.text(4)),
                                              std::string(select.text(5))};
            while (select.next()) {
            }
        }
    }
    if (out.synced) out.synced_by = pipeline_;
    std::vector<std::int64_t> reports;
    if (!with_table(db, true, [&](const SearchTable& table) {
            reports = table.reports(id, DirectoryUserDetail::report_limit, out.report_count);
        })) {
        // Without the table: the users table read whole, as long as that takes.
        SqliteStatement select(db, "SELECT id FROM users WHERE manager_id = ? ORDER BY id");
        select.bind(1, id);
        out.report_count = 0;
        while (select.next())
            if (++out.report_count <= static_cast<std::int64_t>(DirectoryUserDetail::report_limit))
                reports.push_back(select.integer(0));
    }
    if (!reports.empty()) {
        SqliteStatement people(db, "SELECT id, first_name, last_name, COALESCE(hris_id, '') FROM users WHERE id IN (" +
                                       id_list(reports) + ") ORDER BY id");
        while (people.next())
            out.reports.push_back(
                {people.integer(0), person_name(people.text(1), people.text(2)), std::string(people.text(3))});
    }
    return out;
}

std::vector<DirectoryDepartment> SqliteDirectoryBrowser::departments() {
    auto db = reader();
    if (!db) return {};
    std::vector<DirectoryDepartment> out;
    {
        SqliteStatement select(db->get(), "SELECT id, parent_id, name, synced FROM departments");
        while (select.next())
            out.push_back(
                {select.integer(0), select.integer(1), std::string(select.text(2)), "", select.integer(3) != 0, 0});
    }
    std::unordered_map<std::int64_t, std::int64_t> members;
    {
        SqliteStatement count(db->get(), "SELECT department_id, COUNT(*) FROM memberships GROUP BY department_id");
        while (count.next()) members[count.integer(0)] = count.integer(1);
    }
    for (auto& department : out) {
        auto counted = members.find(department.id);
        if (counted != members.end()) department.members = counted->second;
    }
    name_departments(out);
    return out;
}

std::optional<UserPage> SqliteDirectoryBrowser::members(std::int64_t department_id, const std::string& after_text,
                                                        std::size_t limit) {
    const std::int64_t after = after_cursor(after_text);
    limit = page_size(limit);
    auto db = reader();
    if (!db) return std::nullopt;
    if (single_number(db->get(), "SELECT COUNT(*) FROM departments WHERE id = ?", department_id) == 0)
        return std::nullopt;
    UserPage page;
    SqliteStatement rows(db->get(), std::string("SELECT ") + listed_columns +
                                        " FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.department_id "
                                        "= ?1 AND m.user_id > ?2 ORDER BY m.user_id LIMIT ?3");
    rows.bind(1, department_id).bind(2, after).bind(3, static_cast<std::int64_t>(limit + 1));
    fill(page, rows, limit);
    page.total = single_number(db->get(), "SELECT COUNT(*) FROM memberships WHERE department_id = ?", department_id);
    return page;
}

std::optional<DirectoryUserDetail> SqliteDirectoryBrowser::edit_user(
    std::int64_t id, const std::vector<std::pair<std::string, std::string>>& fields) {
    if (fields.empty()) throw Error("nothing to change: name at least one field and its new value");
    if (!reader()) return std::nullopt;
    Connection db = writer();
    execute(db.get(), "BEGIN IMMEDIATE");
    try {
        auto found = records(db.get(), std::span(&id, 1), false);
        if (found.empty()) {
            roll_back(db.get());
            return std::nullopt;
        }
        const DestinationRecord& record = found.front();
        const std::string who = !record.user.hris_id.empty() ? record.user.hris_id : record.user.email;
        edit_fields(db.get(), record, who, fields, pipeline_);
        execute(db.get(), bump_generation);
        execute(db.get(), "COMMIT");
    } catch (...) {
        roll_back(db.get());
        throw;
    }
    return detail(db.get(), id);
}

}  // namespace peoplesync::directory
