// COPY ... FROM STDIN through the connection: every value arrives as it was
// sent (tabs, newlines, backslashes, NULL, a text that reads \N), a row the
// table refuses fails the statement naming why, and a producer that throws
// cancels the COPY and leaves the connection usable.
#include <gtest/gtest.h>

#include "connection.hpp"
#include "pg_server.hpp"

namespace peoplesync::postgres_test {
namespace {

using postgres::Connection;
using postgres::ConnectionSettings;
using postgres::CopyWriter;
using postgres::StatementError;
using postgres::Transaction;

class PgCopy : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        ConnectionSettings s;
        s.dsn = dsn();
        s.password = PgServer::sink_password;
        connection_ = std::make_unique<Connection>(s);
        connection_->execute("CREATE TABLE people (id bigint PRIMARY KEY, name text, note text)");
    }

    std::int64_t count() { return connection_->execute("SELECT count(*) FROM people").integer(0, 0); }

    std::unique_ptr<Connection> connection_;
};

TEST_F(PgCopy, EveryValueArrivesAsSent) {
    const std::vector<std::string> tricky{"tab\there",      "new\nline", "carriage\rreturn", "back\\slash", "\\N",
                                          "Zoë Ångström 😀", ""};
    constexpr int rows = 20000;  // past the megabyte a flush sends
    connection_->copy_in("COPY people (id, name, note) FROM STDIN", [&](CopyWriter& out) {
        for (int i = 0; i < rows; ++i) {
            const std::string id = std::to_string(i);
            const std::string& name = tricky[static_cast<std::size_t>(i) % tricky.size()];
            if (i % 3 == 0)
                out.row({id, name, std::nullopt});
            else
                out.row({id, name, std::string(60, 'x')});
        }
    });
    EXPECT_EQ(count(), rows);
    for (std::size_t i = 0; i < tricky.size(); ++i) {
        auto row = connection_->execute("SELECT name, note IS NULL FROM people WHERE id = $1", {std::to_string(i)});
        ASSERT_EQ(row.rows(), 1);
        EXPECT_EQ(row.text(0, 0), tricky[i]) << i;
        EXPECT_EQ(row.boolean(0, 1), i % 3 == 0) << i;
    }
}

TEST_F(PgCopy, ARowTheTableRefusesFailsTheStatementSayingWhy) {
    try {
        connection_->copy_in("COPY people (id, name) FROM STDIN", [](CopyWriter& out) {
            out.row({"1", "Ann"});
            out.row({"1", "Bo"});
        });
        FAIL() << "two rows with one primary key";
    } catch (const StatementError& e) {
        EXPECT_EQ(e.sqlstate(), "23505") << e.what();  // unique_violation
        EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
    }
    EXPECT_EQ(count(), 0);
}

TEST_F(PgCopy, AProducerThatThrowsCancelsTheCopyAndItsTransaction) {
    {
        Transaction transaction(*connection_);
        connection_->execute("INSERT INTO people (id, name) VALUES (100, 'before')");
        EXPECT_THROW(connection_->copy_in("COPY people (id, name) FROM STDIN",
                                          [](CopyWriter& out) {
                                              out.row({"1", "Ann"});
                                              throw Error("the snapshot ran out");
                                          }),
                     Error);
    }
    EXPECT_TRUE(connection_->usable());
    EXPECT_EQ(count(), 0);
}

TEST_F(PgCopy, NotACopyIsRefused) {
    EXPECT_THROW(connection_->copy_in("SELECT 1", [](CopyWriter&) {}), Error);
    EXPECT_EQ(connection_->execute("SELECT 2").integer(0, 0), 2);
}

}  // namespace
}  // namespace peoplesync::postgres_test
