// sink `directory`: the local people directory in a SQLite database, through
// Poco::Data. Users, the department tree, memberships, which users and
// departments are synced (and which fields), and an audit log of every
// change with its run. Each run applies in one transaction.
#include <algorithm>
#include <array>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#ifdef __linux__
#include <fcntl.h>
#include <unistd.h>
#endif

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>

#include <peoplesync/plugin.hpp>

#include "department_paths.hpp"
#include "directory_browser.hpp"
#include "schema.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_statement.hpp"
#include "user_records.hpp"

namespace peoplesync::directory {

using Poco::Data::Session;
using sqlite::bind_feed;
using sqlite::enable_row_feeds;
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

// The indexes a large load drops and builds again: created users arrive in
// the source's order, so their keys land all over these. The others stay:
// a load appends to audit_by_run in its order, and users_unsynced leaves out
// created users, who are synced.
const char* const rebuilt_indexes[] = {"users_by_hris_id", "memberships_by_department"};

// From this many created users on, their departments are looked up on a
// thread of their own.
constexpr std::size_t lookups_apart = 65536;

// Page caches: 32 MiB between runs and while a run reads; 16 MiB while a
// large load appends, which writes each new page once and leaves the memory
// to the run, which holds the whole snapshot then; 1 MiB while it builds its
// indexes again (below); and up to 96 MiB while any other run
// writes: a run that changes users all over a large directory comes back to
// most of their pages (the user, their memberships, the index of those), and
// a page read again costs more than the memory, which the cache takes only
// as the run needs it and gives back after.
const char* const usual_cache = "PRAGMA cache_size=-32768";
const char* const large_load_cache = "PRAGMA cache_size=-16384";
const char* const writing_cache = "PRAGMA cache_size=-98304";

// A large load's index rebuilds sort their keys in runs as large as the page
// cache, each run on a thread of SQLite's own (two), merged after: runs of
// 1 MiB sort within the processor's caches and both cores sort. Measured at
// a million users: the rebuilds 0.57 -> 0.42 s (0.49 s with 1 MiB runs on
// one thread; 16 MiB runs on two threads were no faster than on one).
const char* const index_build_cache = "PRAGMA cache_size=-1024";
const char* const index_build_threads = "PRAGMA threads=2";
const char* const no_helper_threads = "PRAGMA threads=0";

// Loads are "large" when they create more users than the directory holds.
constexpr std::size_t large_load = 10000;

bool is_large_load(sqlite3* db, const ChangeSet& changes) {
    if (changes.created.size() <= large_load) return false;
    SqliteStatement count(db, "SELECT COUNT(*) FROM users");
    count.next();
    return static_cast<std::int64_t>(changes.created.size()) > count.integer(0);
}

// The journal mode the database is in after asking for MODE, without waiting
// for other connections: with any open, WAL stays. In a rollback journal
// every commit syncs fully (NORMAL there can leave a file corrupt after a
// power cut on some filesystems); in WAL, NORMAL is safe.
// Never throws: it also runs from a destructor.
std::string switch_journal(sqlite3* db, const char* mode, int busy_timeout_ms) noexcept {
    auto journal_mode = [db](const std::string& pragma) {
        SqliteStatement statement(db, pragma);
        std::string mode_now = statement.next() ? std::string(statement.text(0)) : "";
        statement.next();
        return mode_now;
    };
    std::string now;
    sqlite3_busy_timeout(db, 0);
    try {
        now = journal_mode(std::string("PRAGMA journal_mode=") + mode);
    } catch (const Error&) {
        // busy: another connection has the file open, and the mode stays
        try {
            now = journal_mode("PRAGMA journal_mode");
        } catch (const Error&) {
        }
    }
    sqlite3_busy_timeout(db, busy_timeout_ms);
    try {
        execute(db, now == "wal" ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
    } catch (const Error&) {
        // the connection keeps the level it had
    }
    return now;
}

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

// Starts the kernel writing a file's changed pages to disk, without waiting
// for the disk (Linux's sync_file_range, as RocksDB's bytes_per_sync does):
// a large load writes its 250 MB through a rollback journal straight into
// the database file, and without this all of it goes to disk inside the
// commit's fsync (0.13 s of it at a million users; 0.007 s with it, for 0.03
// to 0.05 s that the call itself waits while the kernel queues the users'
// pages; on a thread of its own, measured no better). Only a hint: the
// commit's fsync is what makes the load durable, so a file that does not
// open or a call that fails changes nothing, and elsewhere than Linux it
// does nothing.
class WriteBack {
public:
    explicit WriteBack([[maybe_unused]] const char* file) {
#ifdef __linux__
        if (file != nullptr && *file != '\0') fd_ = ::open(file, O_RDONLY | O_CLOEXEC);
#endif
    }
    ~WriteBack() {
#ifdef __linux__
        if (fd_ >= 0) ::close(fd_);
#endif
    }
    WriteBack(const WriteBack&) = delete;
    WriteBack& operator=(const WriteBack&) = delete;

    void start() {
#ifdef __linux__
        if (fd_ >= 0) ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    }

private:
    int fd_ = -1;
};

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
        SqliteStatement insert(
            db_,
            "INSERT INTO users(id, hris_id, email, first_name, last_name, job_title, phone_number, employee_id, "
            "hire_date, profile_image_url, profile_image_last_modified, profile_image_cache_info, active, manager_id, "
            "synced, synced_field_set, sync_hash, updated_at) SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, "
            "c11, c12, c13, 1, c14, c15, c16 FROM peoplesync_rows(?)");
        // SQLite asks for a row's values one after the other: its record is
        // read once (its texts are c1 to c11).
        std::size_t row_read = changes_.created.size();
        std::array<std::string_view, 11> texts;
        bool active = false;
        const auto rows = rows_of(changes_.created.size(), [&](std::size_t row, int column, RowValue& value) {
            const CreatedUser& change = changes_.created[row];
            if (row != row_read) {
                const UserView u = snapshot_.users[static_cast<std::size_t>(change.snapshot_index)];
                texts = {u.hris_id,
                         u.email,
                         u.first_name,
                         u.last_name,
                         u.job_title,
                         u.phone_number,
                         u.employee_id,
                         u.hire_date,
                         u.profile_image.url,
                         u.profile_image.last_modified,
                         u.profile_image.cache_info};
                active = u.active;
                row_read = row;
            }
            if (column >= 1 && column <= 11) return value.text(texts[static_cast<std::size_t>(column - 1)]);
            switch (column) {
                case 0:
                    return value.integer(first + static_cast<std::int64_t>(row));
                case 12:
                    return value.integer(active);
                case 13:
                    return value.id(change.manager_snapshot_index >= 0 ? created_id(change.manager_snapshot_index)
                                                                       : change.manager_destination_id);
                case 14:
                    return value.integer(synced_fields_);
                case 15:
                    return value.integer(static_cast<std::int64_t>(change.sync_hash));
                case 16:
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

namespace {

// The columns of a DestinationUser, in add_user()'s order.
constexpr const char* user_columns = "SELECT id, COALESCE(hris_id, ''), email, active, synced, sync_hash";

void add_user(const SqliteStatement& row, DestinationIndex& index) {
    index.users.push_back({row.integer(0), std::string(row.text(1)), std::string(row.text(2)), row.integer(3) != 0,
                           row.integer(4) != 0, static_cast<std::uint64_t>(row.integer(5))});
}

// Every department, and the memberships in which the user or the department
// is not synced: typically few, found through the keys rather than a scan.
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

class DirectorySink final : public Sink, public RunLedger {
public:
    static constexpr const char* type = "directory";
    static constexpr const char* description = "The local people directory in a SQLite database";

    struct Options {
        std::string database;
        std::int64_t busy_timeout_ms = 0;
    };
    static const OptionTable<Options>& option_table() {
        static const OptionTable<Options> table = {
            {option::string("database",
                            "SQLite database file of the directory; created when missing. Relative paths "
                            "resolve against the configuration file's folder.")
                 .required(),
             [](Options& options, const ConfigValue& value) {
                 if (value.as_string().empty()) value.fail("the database path is empty");
                 options.database = value.as_string();
             }},
            {option::integer("busy_timeout_ms", "How long to wait for another writer before failing.")
                 .fallback("10000")
                 .range(0, 600000),
             &Options::busy_timeout_ms},
        };
        return table;
    }
    static std::vector<OptionSpec> options() { return option_table().specs(); }

    DirectorySink(const ConfigValue& config, Host& host) : DirectorySink(option_table().read(config), host) {}
    DirectorySink(const Options& options, Host& host)
        : host_(host),
          database_(options.database),
          busy_timeout_ms_(options.busy_timeout_ms),
          browser_(host.resolve_path(database_), busy_timeout_ms_, host.pipeline(), host.log()) {}

    DestinationIndex load_index() override {
        sqlite3* db = handle();
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
        return index;
    }

    std::optional<DestinationIndex> load_index_for(std::span<const std::string> hris_ids) override {
        sqlite3* db = handle();
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
        SqliteStatement count(db,
                              "SELECT (SELECT COUNT(*) FROM users) - (SELECT COUNT(*) FROM users WHERE synced = 0)");
        count.next();
        index.synced_users = count.integer(0);
        count.next();
        add_departments(db, index);
        return index;
    }

    // On a connection of its own that only reads: the sink's own may be in
    // a run on another thread, and WAL lets both read at once.
    std::optional<std::vector<std::string>> held_hris_ids(std::span<const std::string> hris_ids) override {
        std::vector<std::string> held;
        const std::string file = path();
        // No database yet: the directory holds nobody.
        if (hris_ids.empty() || !std::filesystem::exists(file)) return held;
        sqlite3* db = nullptr;
        const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        struct Close {
            sqlite3* db;
            ~Close() { sqlite3_close_v2(db); }
        } close{db};
        if (rc != SQLITE_OK)
            throw Error("directory " + file +
                        ": cannot open the database: " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_busy_timeout(db, static_cast<int>(busy_timeout_ms_));
        const std::vector<std::string_view> wanted(hris_ids.begin(), hris_ids.end());
        const std::string list = json_array(wanted);
        SqliteStatement select(db, "SELECT hris_id FROM users WHERE hris_id IN (SELECT value FROM json_each(?))");
        select.bind(1, list);
        while (select.next()) held.emplace_back(select.text(0));
        return held;
    }

    std::vector<DestinationRecord> fetch(std::span<const std::int64_t> ids) override {
        if (ids.empty()) return {};
        return records(handle(), ids, false);
    }

    void apply(const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context) override {
        // Declared first, so it goes last: once the file is back in WAL (a
        // search table's reader opening it earlier would keep it in a large
        // load's rollback journal), the browser brings its table up to date.
        struct ChangedForTheBrowser {
            SqliteDirectoryBrowser& browser;
            ~ChangedForTheBrowser() {
                try {
                    browser.changed();
                } catch (...) {
                    // The next search brings the table up to date itself.
                }
            }
        } changed_for_the_browser{browser_};
        sqlite3* db = handle();
        // The last run's checkpoint is done first: its connection would keep
        // a large load from switching the journal.
        if (checkpointer_.joinable()) checkpointer_.join();
        const bool large = is_large_load(db, changes);
        // A large first load goes through a rollback journal: pages past the
        // file's end need no journal, so each is written once, where WAL
        // writes it to the log and again at the checkpoint. Only while no
        // other connection has the file open; WAL comes back after.
        const bool rollback_journal = large && switch_journal(db, "DELETE", busy_timeout_ms_) == "delete";
        struct BackToWal {
            sqlite3* db;
            bool active;
            int timeout;
            ~BackToWal() {
                if (active) switch_journal(db, "WAL", timeout);
            }
        } back_to_wal{db, rollback_journal, static_cast<int>(busy_timeout_ms_)};
        // The run's page cache (see writing_cache), and the usual one back
        // however it ends, once its transaction is over; so is SQLite's
        // single thread after an index rebuild's two.
        struct RunCache {
            sqlite3* db;
            ~RunCache() {
                try {
                    execute(db, usual_cache);
                    execute(db, no_helper_threads);
                } catch (...) {
                    // The run's settings stay until the next run sets them.
                }
            }
        } run_cache{db};
        execute(db, large ? large_load_cache : writing_cache);
        try {
            execute(db, "BEGIN IMMEDIATE");
        } catch (const Error& e) {
            throw Error("directory " + path() + ": cannot start the run's transaction: " + e.what());
        }
        // In WAL, the commit leaves copying its pages into the database (the
        // checkpoint, which syncs both files) to a thread of its own: the run
        // goes on meanwhile, and readers read the log until it is done.
        const bool checkpoint_apart = !rollback_journal;
        if (checkpoint_apart) sqlite3_wal_autocheckpoint(db, 0);
        struct AutoCheckpointBack {
            sqlite3* db;
            bool active;
            ~AutoCheckpointBack() {
                if (active) sqlite3_wal_autocheckpoint(db, 1000);  // SQLite's default
            }
        } auto_checkpoint_back{db, checkpoint_apart};
        try {
            Applier(db, snapshot, changes, context).run(large);
            execute(db, bump_generation);
            execute(db, "COMMIT");
        } catch (const std::exception& e) {
            execute(db, "ROLLBACK");
            throw Error("directory " + path() + ": the run was rolled back, nothing changed: " + e.what());
        }
        if (checkpoint_apart) start_checkpoint();
    }

    ~DirectorySink() override {
        if (checkpointer_.joinable()) checkpointer_.join();
    }

    // apply() reads only the records the ChangeSet names.
    bool applies_changes_only() const override { return true; }

    // Each run's audit_runs row is written in its transaction.
    bool applied(std::int64_t run_id) override {
        SqliteStatement select(handle(), "SELECT 1 FROM audit_runs WHERE run_id = ? AND pipeline = ?");
        return select.bind(1, run_id).bind(2, host_.pipeline()).next();
    }

    // Writes that bypass peoplesync (SQL from elsewhere) do not change it;
    // the pipeline's full_resync_every_secs bounds how long they go unseen.
    std::string state_token() override {
        sqlite3* db = handle();
        SqliteStatement select(db, "SELECT key, value FROM directory_meta WHERE key IN ('instance', 'generation')");
        std::string instance, generation;
        while (select.next()) (select.text(0) == "instance" ? instance : generation) = std::string(select.text(1));
        if (instance.empty() || generation.empty()) return "";
        return "directory " + instance + " generation " + generation;
    }

    std::optional<DestinationRecord> find_user(const std::string& who) override {
        auto found = lookup(handle(), who);
        if (found.empty()) return std::nullopt;
        return std::move(found.front());
    }

    void edit_user(const std::string& who, const std::string& field_name, const std::string& value) override {
        sqlite3* db = handle();
        execute(db, "BEGIN IMMEDIATE");
        try {
            auto found = lookup(db, who);
            if (found.empty()) throw Error("no user \"" + who + "\" in the directory " + path());
            const std::pair<std::string, std::string> edit{field_name, value};
            edit_fields(db, found.front(), who, std::span(&edit, 1), host_.pipeline());
            execute(db, bump_generation);
            execute(db, "COMMIT");
        } catch (...) {
            execute(db, "ROLLBACK");
            throw;
        }
    }

    DirectoryBrowser* browser() override { return &browser_; }

private:
    std::string path() { return host_.resolve_path(database_); }

    sqlite3* handle() {
        if (session_) return Poco::Data::SQLite::Utility::dbHandle(*session_);
        static std::once_flag registered;
        std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
        const std::string file = path();
        try {
            std::filesystem::path parent = std::filesystem::path(file).parent_path();
            if (!parent.empty()) std::filesystem::create_directories(parent);
            auto session = std::make_unique<Session>("SQLite", file);
            sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(*session);
            execute(db, "PRAGMA journal_mode=WAL");
            execute(db, "PRAGMA synchronous=NORMAL");
            execute(db, "PRAGMA busy_timeout=" + std::to_string(busy_timeout_ms_));
            execute(db, usual_cache);
            create_schema(db);
            enable_row_feeds(db);
            session_ = std::move(session);
        } catch (const Poco::Exception& e) {
            throw Error("directory " + file + ": cannot open the database: " + e.displayText());
        } catch (const Error& e) {
            throw Error("directory " + file + ": cannot open the database: " + e.what());
        } catch (const std::filesystem::filesystem_error& e) {
            throw Error("directory " + file + ": cannot create its folder: " + e.what());
        }
        return Poco::Data::SQLite::Utility::dbHandle(*session_);
    }

    // A passive checkpoint on a connection of its own, on a thread of its
    // own: it waits for no one, and a reader or writer of the moment only
    // leaves part of the log for the next checkpoint. Joined before the
    // next apply and before the sink's connection closes (whose own
    // checkpoint then has nothing left to copy).
    void start_checkpoint() {
        auto checkpoint = [file = path(), &log = host_.log()] {
            sqlite3* db = nullptr;
            int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
            // Reading the schema opens the log: until then the connection knows no WAL.
            if (rc == SQLITE_OK)
                rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_schema LIMIT 1", nullptr, nullptr, nullptr);
            if (rc == SQLITE_OK)
                rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                log.warning("directory " + file +
                            ": the checkpoint after the run failed (the next one copies its "
                            "pages): " +
                            (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
            sqlite3_close_v2(db);
        };
        try {
            checkpointer_ = std::thread(checkpoint);
        } catch (const std::system_error&) {
            checkpoint();  // no thread to be had: here, then
        }
    }

    Host& host_;
    std::string database_;
    std::int64_t busy_timeout_ms_;
    SqliteDirectoryBrowser browser_;
    std::unique_ptr<Session> session_;
    std::thread checkpointer_;  // the last run's checkpoint (start_checkpoint)
};

}  // namespace peoplesync::directory

PEOPLESYNC_PLUGIN(peoplesync::directory::DirectorySink)
