// One connection to PostgreSQL through libpq. Poco::Data's PostgreSQL
// connector has no COPY, which large loads need, so the sink speaks libpq
// directly. Errors name the server, port, user and database, and what
// failed; never the password.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <libpq-fe.h>

#include <peoplesync/error.hpp>

namespace peoplesync::postgres {

struct ConnectionSettings {
    std::string dsn;       // a libpq connection string or URI
    std::string password;  // empty: libpq's (the dsn's, PGPASSWORD, ~/.pgpass)
    std::int64_t connect_timeout_secs = 10;
    std::int64_t statement_timeout_secs = 0;  // 0: none
    std::string application_name;             // unless the dsn sets one
    std::string sslmode;                      // empty: the dsn's, else libpq's
    std::string sslrootcert;                  // empty: the dsn's, else libpq's
};

// A statement the server refused, with its SQLSTATE ("23505", "P0001").
class StatementError : public Error {
public:
    StatementError(const std::string& message, std::string sqlstate);
    ~StatementError() override;
    const std::string& sqlstate() const { return sqlstate_; }

private:
    std::string sqlstate_;
};

// A query's result; rows and columns count from 0.
class Result {
public:
    explicit Result(PGresult* result) : result_(result, &PQclear) {}
    int rows() const { return PQntuples(result_.get()); }
    bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string_view text(int row, int column) const;
    std::int64_t integer(int row, int column) const;
    bool boolean(int row, int column) const { return text(row, column) == "t"; }
    const PGresult* raw() const { return result_.get(); }

private:
    std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

using Parameter = std::optional<std::string>;  // nullopt: NULL

class Connection;

// The rows of a COPY ... FROM STDIN, in COPY's text format, sent to the
// server a megabyte at a time.
class CopyWriter {
public:
    using Value = std::optional<std::string_view>;  // nullopt: NULL
    void row(std::initializer_list<Value> values);
    void row(std::span<const Value> values);

private:
    friend class Connection;
    CopyWriter(Connection& connection, const std::string& sql) : connection_(connection), sql_(sql) {}
    void flush();

    Connection& connection_;
    const std::string& sql_;
    std::string buffer_;
};

class Connection {
public:
    // Connects, or throws Error saying which server refused what.
    explicit Connection(const ConnectionSettings& settings);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;

    // One or more statements without parameters.
    Result execute(const std::string& sql);
    // One statement with $1, $2... bound as text.
    Result execute(const std::string& sql, std::initializer_list<Parameter> parameters);

    // One statement whose rows come one at a time (libpq's single-row
    // mode) instead of all in memory at once: `row` sees each as row 0.
    void for_each_row(const std::string& sql, std::initializer_list<Parameter> parameters,
                      const std::function<void(const Result& row)>& row);

    // A COPY ... FROM STDIN whose rows `fill` writes: several times faster
    // than inserts for large loads. When `fill` throws, the COPY is
    // cancelled (the statement fails, as inside a transaction the
    // transaction does) and the exception goes on.
    void copy_in(const std::string& sql, const std::function<void(CopyWriter& rows)>& fill);

    // False once the server has gone away: the next run connects again.
    bool usable() const;
    int backend_pid() const { return PQbackendPID(conn_.get()); }
    // "host 127.0.0.1 port 5432 user peoplesync database people"
    const std::string& describe() const { return description_; }
    std::string quote_identifier(std::string_view name) const;
    std::string quote_literal(std::string_view text) const;
    PGconn* handle() const { return conn_.get(); }

private:
    friend class CopyWriter;
    Result checked(PGresult* result, const std::string& sql);
    [[noreturn]] void fail(const PGresult* result, const std::string& sql);
    std::string redacted(std::string message) const;

    std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
    std::string password_;
    std::string description_;
};

// A transaction that rolls back unless committed.
class Transaction {
public:
    explicit Transaction(Connection& connection);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Connection& connection_;
    bool open_ = true;
};

}  // namespace peoplesync::postgres
