// Rows in memory as a table, for bulk writes: one statement
//
//     INSERT INTO t(a, b) SELECT c0, c1 FROM peoplesync_rows(?)
//
// with a RowFeed bound to its parameter (bind_feed) writes every row the
// feed has. SQLite asks the feed for each value from inside the statement,
// so a million rows cost no bind call per value and no step per row, each of
// which takes the connection's mutex and checks its arguments. A connection
// has the table once enable_row_feeds() ran on it; SQL text cannot make a
// feed (SQLite's pointer passing: only a pointer bound with its type name is
// one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <sqlite3.h>

#include <peoplesync/error.hpp>

#include "sqlite_statement.hpp"

namespace peoplesync::sqlite {

inline constexpr const char* row_feed_type = "peoplesync_rows";

// What a feed writes one value with.
class RowValue {
public:
    explicit RowValue(sqlite3_context* context) : context_(context) {}
    void integer(std::int64_t value) { sqlite3_result_int64(context_, value); }
    // The text must stay alive until the statement has run.
    void text(std::string_view value) {
        sqlite3_result_text(context_, value.data() == nullptr ? "" : value.data(), static_cast<int>(value.size()),
                            SQLITE_STATIC);
    }
    // A 0 id is NULL.
    void id(std::int64_t value) {
        if (value == 0)
            sqlite3_result_null(context_);
        else
            integer(value);
    }

private:
    sqlite3_context* context_;
};

class RowFeed {
public:
    // Columns c0 to c23; those a feed leaves alone are NULL.
    static constexpr int max_columns = 24;

    virtual ~RowFeed() = default;
    virtual std::size_t rows() const = 0;
    // Column `column` of row `row`, both from 0. What it throws fails the
    // statement with its message.
    virtual void column(std::size_t row, int column, RowValue& value) const = 0;
};

// A feed of `rows` rows whose values fn(row, column, value) writes.
template <class Fn>
class RowsOf final : public RowFeed {
public:
    RowsOf(std::size_t rows, Fn fn) : rows_(rows), fn_(std::move(fn)) {}
    std::size_t rows() const override { return rows_; }
    void column(std::size_t row, int column, RowValue& value) const override { fn_(row, column, value); }

private:
    std::size_t rows_;
    Fn fn_;
};

template <class Fn>
RowsOf<Fn> rows_of(std::size_t rows, Fn fn) {
    return RowsOf<Fn>(rows, std::move(fn));
}

namespace detail {

struct FeedCursor : sqlite3_vtab_cursor {
    const RowFeed* feed = nullptr;
    std::size_t row = 0;
};

inline void set_error(sqlite3_vtab* table, const char* message) {
    sqlite3_free(table->zErrMsg);
    table->zErrMsg = sqlite3_mprintf("%s", message);
}

inline int feed_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
    std::string schema = "CREATE TABLE x(";
    for (int i = 0; i < RowFeed::max_columns; ++i) schema += "c" + std::to_string(i) + ", ";
    schema += "feed HIDDEN)";
    const int rc = sqlite3_declare_vtab(db, schema.c_str());
    if (rc != SQLITE_OK) return rc;
    auto* table = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
    if (table == nullptr) return SQLITE_NOMEM;
    *table = sqlite3_vtab{};
    *out = table;
    return SQLITE_OK;
}

inline int feed_disconnect(sqlite3_vtab* table) {
    sqlite3_free(table);
    return SQLITE_OK;
}

// The feed is the hidden column's value: without it, no plan.
inline int feed_best_index(sqlite3_vtab* table, sqlite3_index_info* info) {
    for (int i = 0; i < info->nConstraint; ++i) {
        const auto& constraint = info->aConstraint[i];
        if (constraint.iColumn != RowFeed::max_columns || constraint.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (!constraint.usable) return SQLITE_CONSTRAINT;
        info->aConstraintUsage[i].argvIndex = 1;
        info->aConstraintUsage[i].omit = 1;
        info->estimatedCost = 1;
        return SQLITE_OK;
    }
    set_error(table, "peoplesync_rows needs its feed: peoplesync_rows(?)");
    return SQLITE_ERROR;
}

inline int feed_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
    auto* cursor = new (std::nothrow) FeedCursor();
    if (cursor == nullptr) return SQLITE_NOMEM;
    *out = cursor;
    return SQLITE_OK;
}

inline int feed_close(sqlite3_vtab_cursor* cursor) {
    delete static_cast<FeedCursor*>(cursor);
    return SQLITE_OK;
}

inline int feed_filter(sqlite3_vtab_cursor* base, int, const char*, int argc, sqlite3_value** argv) {
    auto* cursor = static_cast<FeedCursor*>(base);
    cursor->feed = argc == 1 ? static_cast<const RowFeed*>(sqlite3_value_pointer(argv[0], row_feed_type)) : nullptr;
    cursor->row = 0;
    if (cursor->feed == nullptr) {
        set_error(base->pVtab, "peoplesync_rows: the parameter is not a feed (bind it with bind_pointer)");
        return SQLITE_ERROR;
    }
    return SQLITE_OK;
}

inline int feed_next(sqlite3_vtab_cursor* base) {
    ++static_cast<FeedCursor*>(base)->row;
    return SQLITE_OK;
}

inline int feed_eof(sqlite3_vtab_cursor* base) {
    const auto* cursor = static_cast<FeedCursor*>(base);
    return cursor->row >= cursor->feed->rows();
}

inline int feed_column(sqlite3_vtab_cursor* base, sqlite3_context* context, int column) {
    const auto* cursor = static_cast<FeedCursor*>(base);
    if (column >= RowFeed::max_columns) {
        sqlite3_result_null(context);
        return SQLITE_OK;
    }
    try {
        RowValue value(context);
        cursor->feed->column(cursor->row, column, value);
    } catch (const std::exception& e) {
        sqlite3_result_error(context, e.what(), -1);
    } catch (...) {
        sqlite3_result_error(context, "peoplesync_rows: a row could not be made", -1);
    }
    return SQLITE_OK;
}

inline int feed_rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
    *rowid = static_cast<sqlite3_int64>(static_cast<FeedCursor*>(base)->row) + 1;
    return SQLITE_OK;
}

// Eponymous only (no xCreate: no CREATE VIRTUAL TABLE) and read-only.
inline sqlite3_module make_feed_module() {
    sqlite3_module module{};
    module.xConnect = feed_connect;
    module.xBestIndex = feed_best_index;
    module.xDisconnect = feed_disconnect;
    module.xOpen = feed_open;
    module.xClose = feed_close;
    module.xFilter = feed_filter;
    module.xNext = feed_next;
    module.xEof = feed_eof;
    module.xColumn = feed_column;
    module.xRowid = feed_rowid;
    return module;
}
inline const sqlite3_module feed_module = make_feed_module();

}  // namespace detail

// Binds FEED to parameter INDEX of a statement reading peoplesync_rows(?).
// The feed must stay alive until the statement has run.
inline SqliteStatement& bind_feed(SqliteStatement& statement, int index, const RowFeed& feed) {
    return statement.bind_pointer(index, &feed, row_feed_type);
}

// Makes peoplesync_rows(?) known to this connection.
inline void enable_row_feeds(sqlite3* db) {
    if (sqlite3_create_module(db, row_feed_type, &detail::feed_module, nullptr) != SQLITE_OK)
        throw Error(std::string("cannot register peoplesync_rows: ") + sqlite3_errmsg(db));
}

}  // namespace peoplesync::sqlite
