// sink `postgres`: the directory sink's model in a PostgreSQL schema, with
// the read-only rule for synced fields enforced by the database's own
// triggers. Here: the options, the connection (connection.cpp) and the
// schema's migrations (schema.cpp), opened on first use, the reads
// (directory_reads.cpp), lookups and edits (user_records.cpp), the browser
// (directory_browser.cpp), and a run's transaction around the shared apply
// plan (plugins/directory-model) written by postgres_store.cpp.
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>

#include <peoplesync/change_only.hpp>
#include <peoplesync/plugin.hpp>

#include "apply_plan.hpp"
#include "connection.hpp"
#include "directory_browser.hpp"
#include "directory_reads.hpp"
#include "option_values.hpp"
#include "postgres_store.hpp"
#include "records.hpp"
#include "schema.hpp"
#include "user_records.hpp"

namespace peoplesync::postgres {

class PostgresSink final : public Sink, public ChangeOnlyApplier, public RunLedger, public HeldUsers {
public:
    static constexpr const char* type = "postgres";
    static constexpr const char* description = "The people directory in a PostgreSQL schema";

    struct Options {
        ConnectionSettings connection;
        std::string schema;
    };
    static const OptionTable<Options>& option_table() {
        static const OptionTable<Options> table = {
            {option::string("dsn",
                            "libpq connection string or URI (\"host=db.example.com dbname=people user=peoplesync\", "
                            "\"postgresql://peoplesync@db.example.com/people\"); ${NAME} takes a value from the "
                            "environment.")
                 .required(),
             [](Options& options, const ConfigValue& value) {
                 if (value.as_string().empty()) value.fail("the dsn is empty");
                 options.connection.dsn = value.as_string();
             }},
            {option::string("password_env",
                            "The name of the environment variable holding the password; without it, libpq's "
                            "(the dsn's, PGPASSWORD, ~/.pgpass)."),
             [](Options& options, const ConfigValue& value) {
                 options.connection.password =
                     options::from_environment(value, "the PostgreSQL password", "PEOPLESYNC_PG_PASSWORD");
             }},
            {option::string("schema", "The schema holding the directory's tables; created when missing.")
                 .fallback("peoplesync"),
             [](Options& options, const ConfigValue& value) {
                 try {
                     options.schema = checked_schema_name(value.as_string());
                 } catch (const Error& e) {
                     value.fail(e.what());
                 }
             }},
            {option::integer("connect_timeout_secs", "How long to wait for the server to answer a connection.")
                 .fallback("10")
                 .range(2, 3600),
             [](Options& options, const ConfigValue& value) {
                 options.connection.connect_timeout_secs = value.as_integer();
             }},
            {option::integer("statement_timeout_secs",
                             "The longest one statement may run before the server cancels it (and the run fails, "
                             "nothing changed); 0: no limit.")
                 .fallback("300")
                 .range(0, 86400),
             [](Options& options, const ConfigValue& value) {
                 options.connection.statement_timeout_secs = value.as_integer();
             }},
            {option::string("sslmode", "TLS: libpq's sslmode; verify-full checks the server's certificate and name.")
                 .fallback_described("the dsn's, else libpq's (prefer)")
                 .one_of({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}),
             [](Options& options, const ConfigValue& value) { options.connection.sslmode = value.as_string(); }},
            {option::string("sslrootcert",
                            "TLS: the CA certificate file that verify-ca and verify-full check the server's "
                            "against. Relative paths resolve against the configuration file's folder."),
             [](Options& options, const ConfigValue& value) {
                 if (value.as_string().empty()) value.fail("the CA file's path is empty");
                 options.connection.sslrootcert = value.as_string();
             }},
        };
        return table;
    }
    static std::vector<OptionSpec> options() { return option_table().specs(); }

    PostgresSink(const ConfigValue& config, Host& host) : PostgresSink(option_table().read(config), host) {}
    PostgresSink(Options options, Host& host) : host_(host), settings_(std::move(options.connection)) {
        schema_ = std::move(options.schema);
        settings_.application_name = "peoplesync " + host.pipeline();
        if (!settings_.sslrootcert.empty()) settings_.sslrootcert = host.resolve_path(settings_.sslrootcert);
        ConnectionSettings browsing = settings_;
        browsing.application_name += " (directory browser)";
        browser_ = std::make_unique<PgDirectoryBrowser>(std::move(browsing), schema_, host.pipeline());
    }

    // The host calls a sink from more than one thread (a run's reads beside
    // its source's); the connection is one: each call has it to itself.
    DestinationIndex load_index() override {
        std::lock_guard lock(mutex_);
        return read_index(connection(), schema_);
    }

    std::optional<DestinationIndex> load_index_for(std::span<const std::string> hris_ids) override {
        std::lock_guard lock(mutex_);
        return read_index_for(connection(), schema_, hris_ids);
    }

    std::vector<DestinationRecord> fetch(std::span<const std::int64_t> ids) override {
        std::lock_guard lock(mutex_);
        return read_records(connection(), schema_, ids);
    }

    // Writes that bypass peoplesync (SQL from elsewhere) do not change it;
    // the pipeline's full_resync_every_secs bounds how long they go unseen.
    std::string state_token() override {
        std::lock_guard lock(mutex_);
        return read_state_token(connection(), schema_);
    }

    // One transaction: a failure anywhere, the server going away included,
    // leaves the schema as it was.
    void apply(const Snapshot& snapshot, const ChangeSet& changes, const ApplyContext& context) override {
        std::lock_guard lock(mutex_);
        Connection& c = connection();
        bool committing = false;
        try {
            Transaction transaction(c);
            begin_apply(c, schema_, host_.pipeline() + " run " + std::to_string(context.run_id));
            PostgresStore store(c, schema_);
            std::optional<LoadIndexes> load_indexes;
            if (directory_model::is_large_load(changes, [&] { return count_users(c); })) {
                load_indexes.emplace(c, schema_);
                load_indexes->drop();
            }
            directory_model::apply_plan(store, snapshot, changes, context, directory_model::now_text());
            if (load_indexes) load_indexes->build();
            end_apply(c, schema_);
            committing = true;
            transaction.commit();
        } catch (const std::exception& e) {
            // A connection lost while committing leaves the outcome to the
            // server: the run's audit_runs row (applied()) tells.
            throw Error("sink postgres (schema " + schema_ + ", " + c.describe() + "): " +
                        (committing ? "the run's commit did not answer; whether it applied is for its audit_runs row "
                                      "to tell: "
                                    : "the run was rolled back, nothing changed: ") +
                        e.what());
        }
    }

    // Each run's audit_runs row is written in its transaction.
    bool applied(std::int64_t run_id) override {
        std::lock_guard lock(mutex_);
        Connection& c = connection();
        return c.execute(
                    "SELECT 1 FROM " + c.quote_identifier(schema_) + ".audit_runs WHERE pipeline = $1 AND run_id = $2",
                    {host_.pipeline(), std::to_string(run_id)})
                   .rows() > 0;
    }

    // From the daemon's HTTP threads, while a run may hold the sink's own
    // connection: on one of its own.
    std::vector<std::string> held_hris_ids(std::span<const std::string> hris_ids) override {
        std::lock_guard lock(lookup_mutex_);
        return read_held_hris_ids(opened(lookup_connection_), schema_, hris_ids);
    }

    std::optional<DestinationRecord> find_user(const std::string& who) override {
        std::lock_guard lock(mutex_);
        Connection& c = connection();
        Transaction reading(c);
        c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        PgUsers users(c, schema_);
        auto found = directory_model::lookup(users, who);
        reading.commit();
        if (found.empty()) return std::nullopt;
        return std::move(found.front());
    }

    void edit_user(const std::string& who, const std::string& field_name, const std::string& value) override {
        std::lock_guard lock(mutex_);
        Connection& c = connection();
        Transaction editing(c);
        PgUsers users(c, schema_);
        const auto ids = directory_model::find_ids(users, who);
        const std::pair<std::string, std::string> edit{field_name, value};
        if (ids.empty() || !edit_fields(c, schema_, ids.front(), who, std::span(&edit, 1), host_.pipeline()))
            throw Error("no user \"" + who + "\" in the directory (postgres schema " + schema_ + ")");
        editing.commit();
    }

    DirectoryBrowser* browser() override { return browser_.get(); }

private:
    Connection& connection() { return opened(connection_); }

    std::int64_t count_users(Connection& c) {
        return c.execute("SELECT count(*) FROM " + c.quote_identifier(schema_) + ".users").integer(0, 0);
    }

    // Connects and migrates on first use, and again after the server went away.
    Connection& opened(std::unique_ptr<Connection>& held) {
        if (held && held->usable()) return *held;
        held.reset();
        auto connection = std::make_unique<Connection>(settings_);
        migrate(*connection, schema_);
        held = std::move(connection);
        return *held;
    }

    Host& host_;
    ConnectionSettings settings_;
    std::string schema_;
    std::mutex mutex_;  // connection_'s
    std::unique_ptr<Connection> connection_;
    std::mutex lookup_mutex_;  // lookup_connection_'s
    std::unique_ptr<Connection> lookup_connection_;
    std::unique_ptr<PgDirectoryBrowser> browser_;
};

}  // namespace peoplesync::postgres

PEOPLESYNC_PLUGIN(peoplesync::postgres::PostgresSink)
