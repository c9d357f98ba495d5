// sink `directory`: the local people directory in a database, through
// Poco::Data. Users, the department tree, memberships, which users and
// departments are synced (and which fields), and an audit log of every
// change with its run. Each run applies in one transaction.
#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Tuple.h>

#include <peoplesync/plugin.hpp>
#include <peoplesync/validation.hpp>

namespace peoplesync::directory {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

std::string now_text() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    std::size_t start = 0;
    while (true) {
        auto at = text.find(separator, start);
        out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) break;
        start = at + 1;
    }
    return out;
}

std::string id_list(std::span<const std::int64_t> ids) {
    std::string out;
    for (auto id : ids) {
        if (!out.empty()) out += ',';
        out += std::to_string(id);
    }
    return out;
}

// The user columns a field is stored in; profile_image spans three.
const std::map<std::string, std::vector<std::string>, std::less<>>& field_columns() {
    static const std::map<std::string, std::vector<std::string>, std::less<>> columns = {
        {"hris_id", {"hris_id"}},
        {"first_name", {"first_name"}},
        {"last_name", {"last_name"}},
        {"email", {"email"}},
        {"job_title", {"job_title"}},
        {"phone_number", {"phone_number"}},
        {"employee_id", {"employee_id"}},
        {"hire_date", {"hire_date"}},
        {"profile_image", {"profile_image_url", "profile_image_last_modified", "profile_image_cache_info"}},
    };
    return columns;
}

std::string column_value(const User& user, const std::string& column) {
    if (column == "hris_id") return user.hris_id;
    if (column == "first_name") return user.first_name;
    if (column == "last_name") return user.last_name;
    if (column == "email") return user.email;
    if (column == "job_title") return user.job_title;
    if (column == "phone_number") return user.phone_number;
    if (column == "employee_id") return user.employee_id;
    if (column == "hire_date") return user.hire_date;
    if (column == "profile_image_url") return user.profile_image.url;
    if (column == "profile_image_last_modified") return user.profile_image.last_modified;
    if (column == "profile_image_cache_info") return user.profile_image.cache_info;
    throw Error("no column " + column);
}

const char* const schema[] = {
    "CREATE TABLE IF NOT EXISTS users ("
    " id INTEGER PRIMARY KEY,"
    " hris_id TEXT UNIQUE,"
    " email TEXT NOT NULL,"
    " first_name TEXT NOT NULL DEFAULT '',"
    " last_name TEXT NOT NULL DEFAULT '',"
    " job_title TEXT NOT NULL DEFAULT '',"
    " phone_number TEXT NOT NULL DEFAULT '',"
    " employee_id TEXT NOT NULL DEFAULT '',"
    " hire_date TEXT NOT NULL DEFAULT '',"
    " profile_image_url TEXT NOT NULL DEFAULT '',"
    " profile_image_last_modified TEXT NOT NULL DEFAULT '',"
    " profile_image_cache_info TEXT NOT NULL DEFAULT '',"
    " active INTEGER NOT NULL DEFAULT 1,"
    " manager_id INTEGER,"
    " synced INTEGER NOT NULL DEFAULT 0,"
    " synced_fields TEXT NOT NULL DEFAULT '',"
    " sync_hash INTEGER NOT NULL DEFAULT 0,"
    " updated_at TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS users_by_email ON users(lower(email))",
    "CREATE TABLE IF NOT EXISTS departments ("
    " id INTEGER PRIMARY KEY,"
    " parent_id INTEGER NOT NULL DEFAULT 0,"  // 0: top level
    " name TEXT NOT NULL,"
    " synced INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE(parent_id, name))",
    "CREATE TABLE IF NOT EXISTS memberships ("
    " user_id INTEGER NOT NULL,"
    " department_id INTEGER NOT NULL,"
    " PRIMARY KEY(user_id, department_id))",
    "CREATE INDEX IF NOT EXISTS memberships_by_department ON memberships(department_id)",
    "CREATE TABLE IF NOT EXISTS audit_log ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL,"
    " pipeline TEXT NOT NULL,"
    " at TEXT NOT NULL,"
    " user_id INTEGER,"
    " hris_id TEXT NOT NULL DEFAULT '',"
    " action TEXT NOT NULL,"
    " field TEXT NOT NULL DEFAULT '',"
    " old_value TEXT NOT NULL DEFAULT '',"
    " new_value TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS audit_by_run ON audit_log(run_id)",
};

// Every department's path ("Engineering > Mobile Team") by id.
std::unordered_map<std::int64_t, std::string> department_paths(Session& session) {
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, std::string>> rows;
    session << "SELECT id, parent_id, name FROM departments", into(rows), now;
    std::unordered_map<std::int64_t, std::pair<std::int64_t, std::string>> by_id;
    for (const auto& r : rows) by_id[r.get<0>()] = {r.get<1>(), r.get<2>()};
    std::unordered_map<std::int64_t, std::string> paths;
    for (const auto& [id, entry] : by_id) {
        std::string path = entry.second;
        std::int64_t parent = entry.first;
        for (std::size_t depth = 0; parent != 0 && depth <= by_id.size(); ++depth) {  // bounded: never loops
            auto it = by_id.find(parent);
            if (it == by_id.end()) break;
            path = it->second.second + " > " + path;
            parent = it->second.first;
        }
        paths[id] = std::move(path);
    }
    return paths;
}

// Collects the audit rows of one apply and writes them in one statement.
class AuditLog {
public:
    AuditLog(std::int64_t run_id, std::string pipeline)
        : run_id_(run_id), pipeline_(std::move(pipeline)), at_(now_text()) {}

    void add(std::int64_t user_id, const std::string& hris_id, const char* action, const std::string& field = {},
             const std::string& old_value = {}, const std::string& new_value = {}) {
        user_id_.push_back(user_id);
        hris_id_.push_back(hris_id);
        action_.emplace_back(action);
        field_.push_back(field);
        old_.push_back(old_value);
        new_.push_back(new_value);
    }

    void write(Session& session) {
        if (action_.empty()) return;
        std::vector<Poco::Int64> run(action_.size(), run_id_);
        std::vector<std::string> pipeline(action_.size(), pipeline_), at(action_.size(), at_);
        session << "INSERT INTO audit_log(run_id, pipeline, at, user_id, hris_id, action, field, old_value, new_value) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(run), use(pipeline), use(at), use(user_id_), use(hris_id_), use(action_), use(field_), use(old_),
            use(new_), now;
    }

private:
    Poco::Int64 run_id_;
    std::string pipeline_, at_;
    std::vector<Poco::Int64> user_id_;
    std::vector<std::string> hris_id_, action_, field_, old_, new_;
};

}  // namespace

class DirectorySink final : public Sink {
public:
    static constexpr const char* type = "directory";
    static constexpr const char* description = "The local people directory in a SQLite database, through Poco::Data";

    static std::vector<OptionSpec> options() {
        return {
            option::string("database",
                           "SQLite database file of the directory; created when missing. Relative paths "
                           "resolve against the configuration file's folder.")
                .required(),
            option::integer("busy_timeout_ms", "How long to wait for another writer before failing.")
                .fallback("10000")
                .range(0, 600000),
        };
    }

    DirectorySink(const ConfigValue& config, Host& host)
        : host_(host),
          database_(config.at("database").as_string()),
          busy_timeout_ms_(config.get_integer("busy_timeout_ms", 10000)) {
        if (database_.empty()) config.at("database").fail("the database path is empty");
    }

    DestinationIndex load_index() override {
        Session& s = session();
        DestinationIndex index;
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, int, int, Poco::Int64>> users;
        s << "SELECT id, COALESCE(hris_id, ''), email, active, synced, sync_hash FROM users", into(users), now;
        index.users.reserve(users.size());
        for (auto& u : users)
            index.users.push_back({u.get<0>(), std::move(u.get<1>()), std::move(u.get<2>()), u.get<3>() != 0,
                                   u.get<4>() != 0, static_cast<std::uint64_t>(u.get<5>())});
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, std::string, int>> departments;
        s << "SELECT id, parent_id, name, synced FROM departments", into(departments), now;
        for (auto& d : departments) index.departments.push_back({d.get<0>(), d.get<1>(), d.get<2>(), d.get<3>() != 0});
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> memberships;
        s << "SELECT m.user_id, m.department_id FROM memberships m JOIN users u ON u.id = m.user_id "
             "JOIN departments d ON d.id = m.department_id WHERE u.synced = 0 OR d.synced = 0",
            into(memberships), now;
        for (auto& m : memberships) index.memberships_outside_sync.push_back({m.get<0>(), m.get<1>()});
        return index;
    }

    std::vector<DestinationRecord> fetch(std::span<const std::int64_t> ids) override {
        if (ids.empty()) return {};
        return records("u.id IN (" + id_list(ids) + ")", false);
    }

    void apply(const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context) override {
        Session& s = session();
        s.begin();
        try {
            Applier(s, snapshot, changes, AuditLog(context.run_id, context.pipeline)).run();
            s.commit();
        } catch (const Poco::Exception& e) {
            s.rollback();
            throw Error("directory " + path() + ": the run was rolled back, nothing changed: " + e.displayText());
        } catch (const std::exception& e) {
            s.rollback();
            throw Error("directory " + path() + ": the run was rolled back, nothing changed: " + e.what());
        }
    }

    std::optional<DestinationRecord> find_user(const std::string& who) override {
        auto found = lookup(who);
        if (found.empty()) return std::nullopt;
        return std::move(found.front());
    }

    void edit_user(const std::string& who, const std::string& field_name, const std::string& value) override {
        auto found = lookup(who);
        if (found.empty()) throw Error("no user \"" + who + "\" in the directory " + path());
        const DestinationRecord& record = found.front();
        const bool synced = !record.synced_fields.empty();
        if (synced && std::find(record.synced_fields.begin(), record.synced_fields.end(), field_name) !=
                          record.synced_fields.end())
            throw Error(field_name + " of " + who +
                        " is synced from the HRIS and read-only here; change it in the "
                        "HRIS, or sync fewer fields");

        Session& s = session();
        std::string old_value, new_value = value;
        Poco::Int64 id = record.id;
        std::string at = now_text();
        s.begin();
        try {
            if (field_name == "active") {
                if (value != "true" && value != "false")
                    throw Error("active takes true or false, not \"" + value + "\"");
                int active = value == "true";
                old_value = record.user.active ? "true" : "false";
                s << "UPDATE users SET active = ?, updated_at = ? WHERE id = ?", use(active), use(at), use(id), now;
            } else if (field_name == "manager") {
                old_value = record.user.manager_hris_id;
                Poco::Nullable<Poco::Int64> manager;
                if (!value.empty()) {
                    auto managers = lookup(value);
                    if (managers.empty()) throw Error("no user \"" + value + "\" to be the manager");
                    if (managers.front().id == record.id) throw Error("a user cannot manage themselves");
                    manager = managers.front().id;
                }
                s << "UPDATE users SET manager_id = ?, updated_at = ? WHERE id = ?", use(manager), use(at), use(id),
                    now;
            } else {
                auto columns = field_columns().find(field_name);
                if (columns == field_columns().end() || field_name == "profile_image")
                    throw Error("\"" + field_name +
                                "\" is not a field one can set here (fields: hris_id, first_name, "
                                "last_name, email, job_title, phone_number, employee_id, hire_date, active, manager)");
                if (field_name == "email" && !is_valid_email(value))
                    throw Error("\"" + value + "\" is not an email address");
                if (field_name == "hris_id" && !value.empty() && !lookup(value).empty() &&
                    lookup(value).front().id != record.id)
                    throw Error("hris_id \"" + value + "\" already belongs to another user");
                old_value = column_value(record.user, field_name);
                std::string column = columns->second.front();
                if (field_name == "hris_id") {
                    Poco::Nullable<std::string> hris;
                    if (!value.empty()) hris = value;
                    s << "UPDATE users SET hris_id = ?, updated_at = ? WHERE id = ?", use(hris), use(at), use(id), now;
                } else {
                    s << "UPDATE users SET " + column + " = ?, updated_at = ? WHERE id = ?", use(new_value), use(at),
                        use(id), now;
                }
            }
            AuditLog audit(0, "");
            audit.add(record.id, record.user.hris_id, "edited", field_name, old_value, new_value);
            audit.write(s);
            s.commit();
        } catch (...) {
            s.rollback();
            throw;
        }
    }

private:
    // Writes one ChangeSet. Bulk statements for the many (created users,
    // memberships, audit rows), prepared statements for the rest.
    class Applier {
    public:
        Applier(Session& session, const Snapshot& snapshot, const ChangeSet& changes, AuditLog audit)
            : s_(session), snapshot_(snapshot), changes_(changes), audit_(std::move(audit)), at_(now_text()) {}

        void run() {
            departments();
            users();
            memberships();
            managers();
            audit_.write(s_);
        }

    private:
        const User& desired(const UserChange& change) const {
            if (change.snapshot_index < 0 || change.snapshot_index >= static_cast<std::int64_t>(snapshot_.users.size()))
                throw Error("change for " + change.hris_id + " points outside the snapshot");
            return snapshot_.users[static_cast<std::size_t>(change.snapshot_index)];
        }

        void departments() {
            for (auto& [id, path] : department_paths(s_)) department_ids_[path] = id;
            for (const auto& path : changes_.departments_created) {
                auto sep = path.rfind(" > ");
                std::string name = sep == std::string::npos ? path : path.substr(sep + 3);
                Poco::Int64 parent = 0;
                if (sep != std::string::npos) parent = department(path.substr(0, sep));
                s_ << "INSERT INTO departments(parent_id, name, synced) VALUES(?, ?, 1)", use(parent), use(name), now;
                Poco::Int64 id = 0;
                s_ << "SELECT id FROM departments WHERE parent_id = ? AND name = ?", use(parent), use(name), into(id),
                    now;
                department_ids_[path] = id;
                audit_.add(0, "", "department_created", "department", "", path);
            }
            for (const auto& path : changes_.departments_adopted) {
                Poco::Int64 id = department(path);
                s_ << "UPDATE departments SET synced = 1 WHERE id = ?", use(id), now;
                audit_.add(0, "", "department_adopted", "department", "", path);
            }
        }

        std::int64_t department(const std::string& path) const {
            auto it = department_ids_.find(path);
            if (it == department_ids_.end()) throw Error("department \"" + path + "\" does not exist in the directory");
            return it->second;
        }

        void users() {
            // Created users, in one bulk insert.
            std::vector<std::string> columns[11];
            std::vector<int> active;
            std::vector<std::string> synced_fields, hris_ids;
            std::vector<Poco::Int64> hashes;
            static const char* const names[11] = {"hris_id",
                                                  "email",
                                                  "first_name",
                                                  "last_name",
                                                  "job_title",
                                                  "phone_number",
                                                  "employee_id",
                                                  "hire_date",
                                                  "profile_image_url",
                                                  "profile_image_last_modified",
                                                  "profile_image_cache_info"};
            for (const auto& change : changes_.users) {
                if (!change.created) continue;
                const User& user = desired(change);
                for (std::size_t c = 0; c < 11; ++c) columns[c].push_back(column_value(user, names[c]));
                active.push_back(user.active ? 1 : 0);
                synced_fields.push_back(join(change.synced_fields, ","));
                hashes.push_back(static_cast<Poco::Int64>(change.sync_hash));
                audit_.add(0, user.hris_id, "created");
            }
            if (!active.empty()) {
                std::vector<std::string> at(active.size(), at_);
                s_ << "INSERT INTO users(hris_id, email, first_name, last_name, job_title, phone_number, employee_id, "
                      "hire_date, profile_image_url, profile_image_last_modified, profile_image_cache_info, active, "
                      "synced, synced_fields, sync_hash, updated_at) "
                      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                    use(columns[0]), use(columns[1]), use(columns[2]), use(columns[3]), use(columns[4]),
                    use(columns[5]), use(columns[6]), use(columns[7]), use(columns[8]), use(columns[9]),
                    use(columns[10]), use(active), use(synced_fields), use(hashes), use(at), now;
            }

            // Everyone else, one prepared statement per kind of write.
            Poco::Int64 id = 0;
            std::string value, fields;
            Poco::Int64 hash = 0;
            int is_active = 1;
            Statement set_sync = (s_ << "UPDATE users SET synced = 1, synced_fields = ?, sync_hash = ?, active = ?, "
                                        "updated_at = ? WHERE id = ?",
                                  use(fields), use(hash), use(is_active), use(at_), use(id));
            int deactivate = 0;
            Statement unsync = (s_ << "UPDATE users SET synced = 0, synced_fields = '', sync_hash = 0, "
                                      "active = CASE WHEN ? = 1 THEN 0 ELSE active END, updated_at = ? WHERE id = ?",
                                use(deactivate), use(at_), use(id));
            std::map<std::string, Statement> set_column;
            for (const auto& change : changes_.users) {
                if (change.created) continue;
                id = change.destination_id;
                if (change.unsynced) {
                    deactivate = change.deactivated ? 1 : 0;
                    unsync.execute();
                    audit_.add(id, change.hris_id, "unsynced");
                    if (change.deactivated) audit_.add(id, change.hris_id, "deactivated");
                    continue;
                }
                const User& user = desired(change);
                for (const auto& f : change.fields) {
                    for (const auto& column : field_columns().at(f.field)) {
                        auto statement = set_column.find(column);
                        if (statement == set_column.end()) {
                            Statement made(s_);
                            // hris_id is NULL, not '', when empty: it is unique.
                            made << "UPDATE users SET " + column + " = " +
                                        (column == "hris_id" ? std::string("NULLIF(?, '')") : std::string("?")) +
                                        " WHERE id = ?",
                                use(value), use(id);
                            statement = set_column.emplace(column, std::move(made)).first;
                        }
                        value = column_value(user, column);
                        statement->second.execute();
                    }
                    audit_.add(id, user.hris_id, change.linked ? "linked_field" : "updated", f.field, f.old_value,
                               f.new_value);
                }
                fields = join(change.synced_fields, ",");
                hash = static_cast<Poco::Int64>(change.sync_hash);
                is_active = user.active ? 1 : 0;
                set_sync.execute();
                if (change.linked) audit_.add(id, user.hris_id, "linked", "by", "", change.linked_by);
                if (change.reactivated) audit_.add(id, user.hris_id, "reactivated");
                if (change.deactivated) audit_.add(id, user.hris_id, "deactivated");
            }
        }

        std::int64_t user_id(std::int64_t destination_id, const std::string& hris_id) {
            if (destination_id != 0) return destination_id;
            auto it = user_ids_.find(hris_id);
            if (it != user_ids_.end()) return it->second;
            std::vector<Poco::Int64> ids;
            std::string key = hris_id;
            s_ << "SELECT id FROM users WHERE hris_id = ?", use(key), into(ids), now;
            if (ids.empty()) throw Error("user \"" + hris_id + "\" does not exist in the directory");
            user_ids_[hris_id] = ids.front();
            return ids.front();
        }

        void memberships() {
            std::vector<Poco::Int64> users, departments;
            for (const auto& m : changes_.memberships_removed) {
                Poco::Int64 user = user_id(m.destination_id, m.hris_id), dept = department(m.department);
                s_ << "DELETE FROM memberships WHERE user_id = ? AND department_id = ?", use(user), use(dept), now;
                audit_.add(user, m.hris_id, "membership_removed", "department", m.department, "");
            }
            for (const auto& m : changes_.memberships_added) {
                users.push_back(user_id(m.destination_id, m.hris_id));
                departments.push_back(department(m.department));
                audit_.add(users.back(), m.hris_id, "membership_added", "department", "", m.department);
            }
            if (!users.empty())
                s_ << "INSERT OR IGNORE INTO memberships(user_id, department_id) VALUES(?, ?)", use(users),
                    use(departments), now;
        }

        void managers() {
            Poco::Int64 id = 0;
            Poco::Nullable<Poco::Int64> manager;
            Statement set_manager = (s_ << "UPDATE users SET manager_id = ? WHERE id = ?", use(manager), use(id));
            for (const auto& m : changes_.managers) {
                id = user_id(m.destination_id, m.hris_id);
                if (m.new_manager_hris_id.empty())
                    manager.clear();
                else
                    manager = user_id(0, m.new_manager_hris_id);
                set_manager.execute();
                audit_.add(id, m.hris_id, "manager_changed", "manager", m.old_manager_hris_id, m.new_manager_hris_id);
            }
        }

        Session& s_;
        const Snapshot& snapshot_;
        const ChangeSet& changes_;
        AuditLog audit_;
        std::string at_;
        std::unordered_map<std::string, std::int64_t> department_ids_;
        std::unordered_map<std::string, std::int64_t> user_ids_;
    };

    std::string path() { return host_.resolve_path(database_); }

    Session& session() {
        if (session_) return *session_;
        std::call_once(connector_registered_, [] { Poco::Data::SQLite::Connector::registerConnector(); });
        const std::string file = path();
        try {
            std::filesystem::path parent = std::filesystem::path(file).parent_path();
            if (!parent.empty()) std::filesystem::create_directories(parent);
            auto session = std::make_unique<Session>("SQLite", file);
            *session << "PRAGMA journal_mode=WAL", now;
            *session << "PRAGMA busy_timeout=" + std::to_string(busy_timeout_ms_), now;
            *session << "PRAGMA synchronous=NORMAL", now;
            for (const char* statement : schema) *session << statement, now;
            session_ = std::move(session);
        } catch (const Poco::Exception& e) {
            throw Error("directory " + file + ": cannot open the database: " + e.displayText());
        } catch (const std::filesystem::filesystem_error& e) {
            throw Error("directory " + file + ": cannot create its folder: " + e.what());
        }
        return *session_;
    }

    // Users by hris_id, or by email (case-insensitive).
    std::vector<DestinationRecord> lookup(const std::string& who) {
        std::string key = who;
        Session& s = session();
        std::vector<Poco::Int64> ids;
        s << "SELECT id FROM users WHERE hris_id = ?", use(key), into(ids), now;
        if (ids.empty()) {
            std::string folded = fold_case(who);
            s << "SELECT id FROM users WHERE lower(email) = ?", use(folded), into(ids), now;
        }
        if (ids.size() > 1) throw Error("several users have the email \"" + who + "\"; name one by hris_id");
        if (ids.empty()) return {};
        std::vector<std::int64_t> wanted(ids.begin(), ids.end());
        return records("u.id IN (" + id_list(wanted) + ")", true);
    }

    std::vector<DestinationRecord> records(const std::string& where, bool with_paths) {
        Session& s = session();
        using Row =
            Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string, std::string,
                        std::string, std::string, std::string, std::string, std::string, int, std::string, std::string>;
        std::vector<Row> rows;
        s << "SELECT u.id, COALESCE(u.hris_id, ''), u.email, u.first_name, u.last_name, u.job_title, u.phone_number, "
             "u.employee_id, u.hire_date, u.profile_image_url, u.profile_image_last_modified, "
             "u.profile_image_cache_info, u.active, "
             "CASE WHEN u.manager_id IS NULL THEN '' ELSE COALESCE(m.hris_id, '(directory user ' || u.manager_id || "
             "')') END, "
             "CASE WHEN u.synced = 1 THEN u.synced_fields ELSE '' END "
             "FROM users u LEFT JOIN users m ON m.id = u.manager_id WHERE " +
                 where,
            into(rows), now;
        std::vector<DestinationRecord> out;
        std::unordered_map<std::int64_t, std::size_t> position;
        for (auto& r : rows) {
            DestinationRecord record;
            record.id = r.get<0>();
            User& u = record.user;
            u.hris_id = r.get<1>();
            u.email = r.get<2>();
            u.first_name = r.get<3>();
            u.last_name = r.get<4>();
            u.job_title = r.get<5>();
            u.phone_number = r.get<6>();
            u.employee_id = r.get<7>();
            u.hire_date = r.get<8>();
            u.profile_image = {r.get<9>(), r.get<10>(), r.get<11>()};
            u.active = r.get<12>() != 0;
            u.manager_hris_id = r.get<13>();
            record.synced_fields = split(r.get<14>(), ',');
            position[record.id] = out.size();
            out.push_back(std::move(record));
        }
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> memberships;
        s << "SELECT m.user_id, m.department_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE " + where,
            into(memberships), now;
        for (const auto& m : memberships) {
            auto it = position.find(m.get<0>());
            if (it != position.end()) out[it->second].department_ids.push_back(m.get<1>());
        }
        if (with_paths) {
            auto paths = department_paths(s);
            for (auto& record : out)
                for (auto id : record.department_ids) record.user.departments.push_back(paths[id]);
        }
        return out;
    }

    Host& host_;
    std::string database_;
    std::int64_t busy_timeout_ms_;
    std::unique_ptr<Session> session_;
    static inline std::once_flag connector_registered_;
};

}  // namespace peoplesync::directory

PEOPLESYNC_PLUGIN(peoplesync::directory::DirectorySink)
