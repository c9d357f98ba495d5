// sink `directory`: the local people directory in a SQLite database.
// Users, the department tree, memberships, which users and departments are
// synced (and which fields), and an audit log of every change with its run.
// Each run applies in one transaction. The connection is opened through
// Poco::Data (its session); everything else goes through SQLite's C API on
// its handle (sqlite_statement.hpp says why). Here: the options, opening,
// and a run's transaction around its pieces: tuning.cpp (caches, journal,
// writeback), applier.cpp (the writes), index_loading.cpp (what the differ
// reads), checkpointer.cpp (the checkpoint after a run), user_records.cpp
// (lookups and edits), schema.cpp (the tables and their numbered migrations).
#include <filesystem>
#include <mutex>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>

#include <peoplesync/change_only.hpp>
#include <peoplesync/plugin.hpp>

#include "applier.hpp"
#include "checkpointer.hpp"
#include "directory_browser.hpp"
#include "index_loading.hpp"
#include "schema.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_statement.hpp"
#include "sqlite_writable.hpp"
#include "tuning.hpp"
#include "user_records.hpp"

namespace peoplesync::directory {

using Poco::Data::Session;
using sqlite::enable_row_feeds;
using sqlite::execute;
using sqlite::roll_back;
using sqlite::SqliteStatement;

class DirectorySink final : public Sink, public RunLedger, public HeldUsers, public ChangeOnlyApplier {
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

    DestinationIndex load_index() override { return read_index(handle()); }

    // apply() reads only the records the ChangeSet names: a ChangeOnlyApplier.
    std::optional<DestinationIndex> load_index_for(std::span<const std::string> hris_ids) override {
        return read_index_for(handle(), hris_ids);
    }

    std::vector<std::string> held_hris_ids(std::span<const std::string> hris_ids) override {
        return directory::held_hris_ids(path(), static_cast<int>(busy_timeout_ms_), hris_ids);
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
        checkpointer_.join();
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
        // however it ends, once its transaction is over, empty (see
        // between_runs); so is SQLite's single thread after an index
        // rebuild's two.
        struct RunCache {
            sqlite3* db;
            ~RunCache() {
                try {
                    execute(db, usual_cache);
                    execute(db, no_helper_threads);
                } catch (...) {
                    // The run's settings stay until the next run sets them.
                }
                sqlite3_db_release_memory(db);
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
            apply_changes(db, snapshot, changes, context, large);
            SqliteStatement(db, record_sync_hash_family).bind(1, std::to_string(sync_hash_family)).run();
            execute(db, bump_generation);
            execute(db, "COMMIT");
        } catch (const std::exception& e) {
            roll_back(db);
            throw Error("directory " + path() + ": the run was rolled back, nothing changed: " + e.what());
        }
        if (checkpoint_apart) checkpointer_.start(path(), host_.log());
    }

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
            roll_back(db);
            throw;
        }
    }

    DirectoryBrowser* browser() override { return &browser_; }

    // Opens the database (its schema brought up to date): one that is not a
    // database, is read-only or is a newer build's stops the daemon's start.
    void open() override { handle(); }

private:
    std::string path() { return host_.resolve_path(database_); }

    sqlite3* handle() {
        if (session_) return Poco::Data::SQLite::Utility::dbHandle(*session_);
        static std::once_flag registered;
        std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
        const std::string file = path();
        if (const std::string why = sqlite::unwritable(file); !why.empty())
            throw Error("directory " + file + " " + why);
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

    Host& host_;
    std::string database_;
    std::int64_t busy_timeout_ms_;
    SqliteDirectoryBrowser browser_;
    std::unique_ptr<Session> session_;
    // Declared after the session: the last run's checkpoint ends before the connection closes.
    Checkpointer checkpointer_;
};

}  // namespace peoplesync::directory

PEOPLESYNC_PLUGIN(peoplesync::directory::DirectorySink)
