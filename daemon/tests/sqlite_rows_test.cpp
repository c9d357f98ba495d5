// Rows from memory through peoplesync_rows(?): every row and value goes in,
// in order; a feed that fails, a constraint a row breaks, a statement without
// its feed or with something else bound each fail the statement with a
// message, and leave what the table held before.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "sqlite_rows.hpp"
#include "sqlite_statement.hpp"

namespace peoplesync::sqlite {
namespace {

class SqliteRowsTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
        enable_row_feeds(db_);
        execute(db_, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, boss INTEGER)");
        execute(db_, "INSERT INTO t VALUES(100, 'before', NULL)");
    }
    void TearDown() override { sqlite3_close(db_); }

    // Every row of t as "id name boss" (boss "-" when NULL), by id.
    std::vector<std::string> table() {
        std::vector<std::string> rows;
        SqliteStatement select(db_, "SELECT id, name, COALESCE(CAST(boss AS TEXT), '-') FROM t ORDER BY id");
        while (select.next())
            rows.push_back(std::to_string(select.integer(0)) + " " + std::string(select.text(1)) + " " +
                           std::string(select.text(2)));
        return rows;
    }
    void insert(const RowFeed& feed) {
        SqliteStatement statement(db_, "INSERT INTO t(id, name, boss) SELECT c0, c1, c2 FROM peoplesync_rows(?)");
        bind_feed(statement, 1, feed).run();
    }

    sqlite3* db_ = nullptr;
};

TEST_F(SqliteRowsTest, EveryRowGoesInWithItsValuesInOrder) {
    const std::vector<std::string> names = {"ada", "grace", "", "linus"};
    const std::vector<std::int64_t> bosses = {0, 1, 2, 1};
    insert(rows_of(names.size(), [&](std::size_t row, int column, RowValue& value) {
        if (column == 0) value.integer(static_cast<std::int64_t>(row) + 1);
        if (column == 1) value.text(names[row]);
        if (column == 2) value.id(bosses[row]);
    }));
    EXPECT_EQ(table(), (std::vector<std::string>{"1 ada -", "2 grace 1", "3  2", "4 linus 1", "100 before -"}));
    // No rows: nothing.
    insert(rows_of(0, [](std::size_t, int, RowValue&) { FAIL() << "asked for a value of no row"; }));
    EXPECT_EQ(table().size(), 5u);
}

TEST_F(SqliteRowsTest, ColumnsAFeedLeavesAloneAreNull) {
    // c2 is never written: boss stays NULL; c23, the last column, exists.
    SqliteStatement statement(db_, "INSERT INTO t(id, name, boss) SELECT c0, c1, c23 FROM peoplesync_rows(?)");
    const auto feed = rows_of(1, [](std::size_t, int column, RowValue& value) {
        if (column == 0) value.integer(7);
        if (column == 1) value.text("x");
    });
    bind_feed(statement, 1, feed).run();
    EXPECT_EQ(table(), (std::vector<std::string>{"7 x -", "100 before -"}));
}

TEST_F(SqliteRowsTest, WhatAFeedThrowsFailsTheStatementAndUndoesItsRows) {
    const std::vector<std::string> names = {"n0", "n1", "n2", "n3", "n4"};
    const auto feed = rows_of(names.size(), [&](std::size_t row, int column, RowValue& value) {
        if (row == 3) throw std::runtime_error("record 3 points nowhere");
        if (column == 0) value.integer(static_cast<std::int64_t>(row) + 1);
        if (column == 1) value.text(names[row]);
    });
    try {
        insert(feed);
        FAIL() << "the statement ran";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "record 3 points nowhere");
    }
    EXPECT_EQ(table(), (std::vector<std::string>{"100 before -"}));
}

TEST_F(SqliteRowsTest, ARowBreakingAConstraintFailsTheStatementAndUndoesItsRows) {
    const std::vector<std::string> names = {"a", "b", "before", "c"};
    try {
        insert(rows_of(names.size(), [&](std::size_t row, int column, RowValue& value) {
            if (column == 0) value.integer(static_cast<std::int64_t>(row) + 1);
            if (column == 1) value.text(names[row]);
        }));
        FAIL() << "the statement ran";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("UNIQUE constraint failed: t.name"), std::string::npos) << e.what();
    }
    EXPECT_EQ(table(), (std::vector<std::string>{"100 before -"}));
}

TEST_F(SqliteRowsTest, WithoutAFeedTheStatementFailsAndSaysWhatItNeeds) {
    try {
        SqliteStatement statement(db_, "SELECT c0 FROM peoplesync_rows");
        statement.next();
        FAIL() << "the statement ran";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("peoplesync_rows needs its feed"), std::string::npos) << e.what();
    }
    // Text or a pointer of another type in its place is not a feed.
    SqliteStatement text(db_, "SELECT c0 FROM peoplesync_rows(?)");
    text.bind(1, std::string_view("rows"));
    try {
        text.next();
        FAIL() << "the statement ran";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not a feed"), std::string::npos) << e.what();
    }
    const auto feed = rows_of(1, [](std::size_t, int, RowValue& value) { value.integer(1); });
    SqliteStatement other(db_, "SELECT c0 FROM peoplesync_rows(?)");
    other.bind_pointer(1, static_cast<const RowFeed*>(&feed), "something_else");  // not row_feed_type
    EXPECT_THROW(other.next(), Error);
    EXPECT_EQ(table(), (std::vector<std::string>{"100 before -"}));
}

}  // namespace
}  // namespace peoplesync::sqlite
