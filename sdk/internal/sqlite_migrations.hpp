// Numbered schema migrations for the SQLite databases peoplesync owns. A
// database records the last step applied: in its PRAGMA user_version when
// one component owns the file, or in its row of schema_versions where
// several share it (the state database: the state store, the request log,
// the outbox). Opening applies the steps past that number in one
// transaction, and refuses a database a newer build wrote.
//
// Databases made before versions were kept have version 0 and any shape an
// earlier build left, so every step is written to run on a database that
// may already have what it adds (CREATE ... IF NOT EXISTS, add_column()).
#pragma once

#include <cstdint>
#include <exception>
#include <span>
#include <string>

#include <sqlite3.h>

#include "sqlite_statement.hpp"

namespace peoplesync::sqlite {

struct Migration {
    int version;  // 1, 2, ...: the schema after this step
    void (*apply)(sqlite3* db);
};

// Where a database keeps its version.
struct SchemaVersion {
    std::string schema = "main";  // an attached database's name
    std::string component;        // empty: the file's PRAGMA user_version; else its row in schema_versions
};

// Adds the column unless the table has it (databases from before versions).
inline void add_column(sqlite3* db, const std::string& table, const std::string& column, const std::string& type) {
    SqliteStatement has(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
    has.bind(1, table).bind(2, column);
    if (has.next()) {
        has.next();
        return;
    }
    execute(db, "ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
}

inline bool has_table(sqlite3* db, const std::string& schema, const std::string& table) {
    SqliteStatement exists(db, "SELECT 1 FROM \"" + schema + "\".sqlite_schema WHERE type = 'table' AND name = ?");
    exists.bind(1, table);
    const bool found = exists.next();
    if (found) exists.next();
    return found;
}

inline int schema_version(sqlite3* db, const SchemaVersion& where) {
    if (where.component.empty()) {
        SqliteStatement pragma(db, "PRAGMA \"" + where.schema + "\".user_version");
        const int version = pragma.next() ? static_cast<int>(pragma.integer(0)) : 0;
        pragma.next();
        return version;
    }
    if (!has_table(db, where.schema, "schema_versions")) return 0;
    SqliteStatement select(db, "SELECT version FROM \"" + where.schema + "\".schema_versions WHERE component = ?");
    select.bind(1, where.component);
    const int version = select.next() ? static_cast<int>(select.integer(0)) : 0;
    select.next();
    return version;
}

// Brings the database to the last step's version. Errors say "it": the
// caller names the file.
// BEGIN IMMEDIATE: of processes opening it at once, one migrates and the
// others, waiting on its lock, find it done.
inline void migrate(sqlite3* db, const SchemaVersion& where, std::span<const Migration> steps) {
    const int known = steps.empty() ? 0 : steps.back().version;
    auto newer_refused = [&](int version) {
        if (version > known)
            throw Error("it was written by a newer peoplesync (" +
                        (where.component.empty() ? std::string() : where.component + " ") + "schema " +
                        std::to_string(version) + ", this build knows " + std::to_string(known) +
                        "); upgrade peoplesync or restore a backup");
    };
    const int found = schema_version(db, where);
    newer_refused(found);
    if (found == known) return;
    execute(db, "BEGIN IMMEDIATE");
    int version = 0;
    try {
        version = schema_version(db, where);
        newer_refused(version);
    } catch (...) {
        roll_back(db);
        throw;
    }
    try {
        for (const Migration& step : steps)
            if (step.version > version) step.apply(db);
        if (where.component.empty()) {
            execute(db, "PRAGMA \"" + where.schema + "\".user_version = " + std::to_string(known));
        } else {
            execute(db, "CREATE TABLE IF NOT EXISTS \"" + where.schema +
                            "\".schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
            SqliteStatement set(db, "INSERT INTO \"" + where.schema +
                                        "\".schema_versions(component, version) VALUES(?, ?) ON CONFLICT(component) "
                                        "DO UPDATE SET version = excluded.version");
            set.bind(1, where.component).bind(2, std::int64_t{known}).run();
        }
        execute(db, "COMMIT");
    } catch (const std::exception& e) {
        roll_back(db);
        throw Error("cannot bring it from " + (where.component.empty() ? std::string() : where.component + " ") +
                    "schema " + std::to_string(version) + " to " + std::to_string(known) + ": " + e.what());
    }
}

}  // namespace peoplesync::sqlite
