// The directory's tables in a PostgreSQL schema of their own, their
// numbered migrations, the apply's advisory lock, and the marker that tells
// the read-only trigger a write is peoplesync's own apply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <peoplesync/changeset.hpp>

#include "connection.hpp"

namespace peoplesync::postgres {

// The version this build writes: each migration in schema.cpp is a
// numbered step towards it, recorded in <schema>.schema_versions.
inline constexpr int schema_version = 2;

// Refuses a schema name that is not a plain lower-case SQL identifier,
// saying why; returns it otherwise.
std::string checked_schema_name(const std::string& name);

// Creates the schema, or brings one an earlier build wrote up to this
// build, in one transaction; refuses one a newer build wrote, naming both
// versions. Two processes opening at once wait for each other.
// (`up_to` an earlier version: as that build left it, for tests.)
void migrate(Connection& connection, const std::string& schema, int up_to = schema_version);

// The version the schema is at: 0 when it has none.
int stored_version(Connection& connection, const std::string& schema);

// Inside the apply's transaction: takes the schema's advisory lock (held
// until the transaction ends) or throws Error naming the session that holds
// it (application name, pid, client); then marks the transaction as
// peoplesync's apply (`peoplesync.apply`, transaction-local), so the
// read-only trigger lets it write synced fields.
void begin_apply(Connection& connection, const std::string& schema, const std::string& marker);

// Every write through peoplesync (a run, an edit) raises the generation in
// directory_meta: with the schema's instance, the sink's state token.
void bump_generation(Connection& connection, const std::string& schema);

// The end of an apply, inside its transaction: the family of the users'
// sync hashes (peoplesync::sync_hash_family) recorded, and the generation
// raised.
void end_apply(Connection& connection, const std::string& schema);

// The family the stored sync hashes are of; this build's when no run
// recorded one (no build before it wrote this schema).
std::uint32_t stored_sync_hash_family(Connection& connection, const std::string& schema);

// The indexes a large load (directory_model::is_large_load) drops before
// its rows and builds again after, inside its transaction: those whose keys
// the rows bring in no order (hris_id's uniqueness, managers,
// memberships by department, audit rows by run). Each is built again from
// its own definition as the database holds it, whatever migration made it;
// then the tables are analyzed.
class LoadIndexes {
public:
    LoadIndexes(Connection& connection, const std::string& schema);
    void drop();
    void build();

private:
    Connection& connection_;
    std::string schema_;  // quoted
    std::vector<std::string> drops_;
    std::vector<std::string> builds_;
};

}  // namespace peoplesync::postgres
