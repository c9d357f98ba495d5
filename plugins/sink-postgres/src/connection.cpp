#include "connection.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <vector>

namespace peoplesync::postgres {

namespace {

// libpq's messages end in newlines and indent their second lines.
std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string or_default(const char* value) {
    return value != nullptr && *value != '\0' ? value : "(default)";
}

std::string describe(PGconn* conn) {
    return "host " + or_default(PQhost(conn)) + " port " + or_default(PQport(conn)) + " user " +
           or_default(PQuser(conn)) + " database " + or_default(PQdb(conn));
}

// What went wrong, in words, before libpq's own message.
std::string connect_failure(std::string_view message, std::int64_t connect_timeout_secs) {
    if (message.find("password authentication failed") != std::string_view::npos)
        return "the server refused the password";
    if (message.find("no password supplied") != std::string_view::npos)
        return "the server asks for a password and none was given (password_env, or the dsn's password)";
    if (message.find("Connection refused") != std::string_view::npos)
        return "nothing accepts connections there (is the server running, are the host and port right?)";
    if (message.find("timeout expired") != std::string_view::npos)
        return "no answer within connect_timeout_secs (" + std::to_string(connect_timeout_secs) + " s)";
    if (message.find("does not exist") != std::string_view::npos) return "the server refused the login";
    if (message.find("SSL") != std::string_view::npos || message.find("certificate") != std::string_view::npos)
        return "TLS failed";
    return "cannot connect";
}

}  // namespace

StatementError::StatementError(const std::string& message, std::string sqlstate)
    : Error(message), sqlstate_(std::move(sqlstate)) {}
StatementError::~StatementError() = default;

std::string_view Result::text(int row, int column) const {
    const char* value = PQgetvalue(result_.get(), row, column);
    return {value, static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::integer(int row, int column) const {
    const std::string_view value = text(row, column);
    std::int64_t out = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (error != std::errc() || end != value.data() + value.size())
        throw Error("postgres: expected an integer, got \"" + std::string(value) + "\"");
    return out;
}

Connection::Connection(const ConnectionSettings& settings) : conn_(nullptr, &PQfinish), password_(settings.password) {
    char* parse_error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(settings.dsn.c_str(), &parse_error);
    if (parsed == nullptr) {
        std::string message = parse_error != nullptr ? one_line(parse_error) : "out of memory";
        PQfreemem(parse_error);
        throw Error("postgres: the dsn is not a libpq connection string or URI: " + redacted(message));
    }
    for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option)
        if (std::string_view(option->keyword) == "password" && option->val != nullptr && password_.empty())
            password_ = option->val;  // only to keep it out of messages
    PQconninfoFree(parsed);

    // Later keywords override the dsn's (libpq reads them in order), except
    // the application name, which the dsn may choose.
    const std::string timeout = std::to_string(settings.connect_timeout_secs);
    std::vector<const char*> keys{"dbname"};
    std::vector<const char*> values{settings.dsn.c_str()};
    auto add = [&](const char* key, const std::string& value) {
        if (value.empty()) return;
        keys.push_back(key);
        values.push_back(value.c_str());
    };
    add("password", settings.password);
    add("connect_timeout", timeout);
    add("fallback_application_name", settings.application_name);
    add("sslmode", settings.sslmode);
    add("sslrootcert", settings.sslrootcert);
    add("client_encoding", "UTF8");
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_) throw Error("postgres: cannot connect: out of memory");
    description_ = postgres::describe(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        const std::string message = one_line(PQerrorMessage(conn_.get()));
        throw Error("postgres " + description_ + ": " + connect_failure(message, settings.connect_timeout_secs) + ": " +
                    redacted(message));
    }
    // libpq prints the server's notices on stderr ("relation ... already
    // exists, skipping" at every open): a daemon's journal has no use for them.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    if (settings.statement_timeout_secs > 0)
        execute("SET statement_timeout = " + std::to_string(settings.statement_timeout_secs * 1000));
}

Result Connection::execute(const std::string& sql) {
    return checked(PQexec(conn_.get(), sql.c_str()), sql);
}

Result Connection::execute(const std::string& sql, std::initializer_list<Parameter> parameters) {
    std::vector<const char*> values;
    for (const auto& parameter : parameters) values.push_back(parameter ? parameter->c_str() : nullptr);
    return checked(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                nullptr, nullptr, 0),
                   sql);
}

bool Connection::usable() const {
    return PQstatus(conn_.get()) == CONNECTION_OK;
}

std::string Connection::quote_identifier(std::string_view name) const {
    char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
    if (quoted == nullptr) throw Error("postgres: cannot quote the name \"" + std::string(name) + "\"");
    std::string out = quoted;
    PQfreemem(quoted);
    return out;
}

std::string Connection::quote_literal(std::string_view text) const {
    char* quoted = PQescapeLiteral(conn_.get(), text.data(), text.size());
    if (quoted == nullptr) throw Error("postgres: cannot quote the text \"" + std::string(text) + "\"");
    std::string out = quoted;
    PQfreemem(quoted);
    return out;
}

Result Connection::checked(PGresult* raw, const std::string& sql) {
    Result result(raw);
    const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    fail(raw, sql);
}

void Connection::fail(const PGresult* raw, const std::string& sql) {
    if (!usable())
        throw Error("postgres " + description_ +
                    ": the connection was lost: " + redacted(one_line(PQerrorMessage(conn_.get()))));
    const char* state = raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    const char* primary = raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_MESSAGE_DETAIL);
    std::string message = primary != nullptr ? primary : one_line(PQerrorMessage(conn_.get()));
    if (detail != nullptr) message += " (" + one_line(detail) + ")";
    const std::string statement = one_line(sql.substr(0, 60)) + (sql.size() > 60 ? "..." : "");
    throw StatementError("postgres " + description_ + ": " + redacted(message) + " [in: " + statement + "]",
                         state != nullptr ? state : "");
}

void Connection::for_each_row(const std::string& sql, std::initializer_list<Parameter> parameters,
                              const std::function<void(const Result& row)>& row) {
    std::vector<const char*> values;
    for (const auto& parameter : parameters) values.push_back(parameter ? parameter->c_str() : nullptr);
    if (PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                          nullptr, 0) == 0 ||
        PQsetSingleRowMode(conn_.get()) == 0)
        fail(nullptr, sql);
    // Every result is read, whatever happens, or the connection stays busy.
    std::exception_ptr failure;
    while (PGresult* raw = PQgetResult(conn_.get())) {
        Result result(raw);
        if (failure) continue;
        const ExecStatusType status = PQresultStatus(raw);
        try {
            if (status == PGRES_SINGLE_TUPLE)
                row(result);
            else if (status != PGRES_TUPLES_OK)
                fail(raw, sql);
        } catch (...) {
            failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
}

void CopyWriter::row(std::initializer_list<Value> values) {
    row(std::span<const Value>(values.begin(), values.size()));
}

void CopyWriter::row(std::span<const Value> values) {
    bool first = true;
    for (const Value& value : values) {
        if (!first) buffer_ += '\t';
        first = false;
        if (!value) {
            buffer_ += "\\N";
            continue;
        }
        // Most values have nothing to escape: appended whole.
        std::string_view rest = *value;
        while (!rest.empty()) {
            const auto special = std::find_if(rest.begin(), rest.end(),
                                              [](char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; });
            buffer_.append(rest.begin(), special);
            if (special == rest.end()) break;
            buffer_ += '\\';
            buffer_ += *special == '\\' ? '\\' : *special == '\t' ? 't' : *special == '\n' ? 'n' : 'r';
            rest.remove_prefix(static_cast<std::size_t>(special - rest.begin()) + 1);
        }
    }
    buffer_ += '\n';
    if (buffer_.size() >= (1u << 20)) flush();
}

void CopyWriter::flush() {
    if (buffer_.empty()) return;
    if (PQputCopyData(connection_.conn_.get(), buffer_.data(), static_cast<int>(buffer_.size())) != 1)
        connection_.fail(nullptr, sql_);
    buffer_.clear();
}

void Connection::copy_in(const std::string& sql, const std::function<void(CopyWriter& rows)>& fill) {
    Result started(PQexec(conn_.get(), sql.c_str()));
    if (PQresultStatus(started.raw()) != PGRES_COPY_IN) {
        if (PQresultStatus(started.raw()) == PGRES_COMMAND_OK || PQresultStatus(started.raw()) == PGRES_TUPLES_OK)
            throw Error("postgres: not a COPY ... FROM STDIN: " + sql);
        fail(started.raw(), sql);
    }
    CopyWriter rows(*this, sql);
    std::exception_ptr failure;
    try {
        fill(rows);
        rows.flush();
    } catch (...) {
        failure = std::current_exception();
    }
    const int ended = PQputCopyEnd(conn_.get(), failure ? "peoplesync cancelled the COPY" : nullptr);
    // Every result is read, whatever happens, or the connection stays busy.
    std::unique_ptr<Result> error;
    while (PGresult* raw = PQgetResult(conn_.get())) {
        auto result = std::make_unique<Result>(raw);
        if (!error && PQresultStatus(raw) != PGRES_COMMAND_OK) error = std::move(result);
    }
    if (failure) std::rethrow_exception(failure);
    if (ended != 1 || error) fail(error ? error->raw() : nullptr, sql);
}

std::string Connection::redacted(std::string message) const {
    if (password_.size() < 4) return message;  // a shorter one would garble every message
    for (auto at = message.find(password_); at != std::string::npos; at = message.find(password_, at))
        message.replace(at, password_.size(), "(password)");
    return message;
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
    connection_.execute("BEGIN");
}

Transaction::~Transaction() {
    if (!open_ || !connection_.usable()) return;
    try {
        connection_.execute("ROLLBACK");
    } catch (...) {
        // The server ends a transaction whose connection goes away.
    }
}

void Transaction::commit() {
    connection_.execute("COMMIT");
    open_ = false;
}

}  // namespace peoplesync::postgres
