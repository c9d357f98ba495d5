// The apply's advisory lock: a second apply to the same schema is refused
// at once, naming the session that holds the lock; another schema's apply
// and the next apply once the first ends go ahead.
#include <gtest/gtest.h>

#include "pg_server.hpp"
#include "schema.hpp"

namespace peoplesync::postgres_test {
namespace {

using postgres::Connection;
using postgres::ConnectionSettings;
using postgres::Transaction;

class PgLock : public PgTest {
protected:
    Connection connect(const std::string& application) const {
        ConnectionSettings s;
        s.dsn = dsn();
        s.password = PgServer::sink_password;
        s.application_name = application;
        Connection connection(s);
        postgres::migrate(connection, "peoplesync");
        postgres::migrate(connection, "other");
        return connection;
    }
};

TEST_F(PgLock, ASecondApplyIsRefusedNamingTheHolder) {
    Connection first = connect("peoplesync hr-nightly");
    Connection second = connect("peoplesync hr-hourly");
    Transaction holding(first);
    postgres::begin_apply(first, "peoplesync", "hr-nightly run 7");
    {
        Transaction refused(second);
        try {
            postgres::begin_apply(second, "peoplesync", "hr-hourly run 3");
            FAIL() << "two applies to one schema at once";
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("schema peoplesync is busy: another apply holds its lock, application "
                                   "\"peoplesync hr-nightly\" (pid " +
                                   std::to_string(first.backend_pid()) + ", user peoplesync, from 127.0.0.1:"),
                      std::string::npos)
                << message;
        }
    }
    {
        // Another schema has a lock of its own.
        Transaction other_schema(second);
        EXPECT_NO_THROW(postgres::begin_apply(second, "other", "hr-hourly run 3"));
    }
    holding.commit();
    Transaction after(second);
    EXPECT_NO_THROW(postgres::begin_apply(second, "peoplesync", "hr-hourly run 4"));
}

TEST_F(PgLock, TheLockEndsWithTheTransactionEvenWhenItRollsBack) {
    Connection first = connect("peoplesync a");
    Connection second = connect("peoplesync b");
    {
        Transaction rolled_back(first);
        postgres::begin_apply(first, "peoplesync", "a run 1");
    }
    Transaction next(second);
    EXPECT_NO_THROW(postgres::begin_apply(second, "peoplesync", "b run 1"));
}

TEST_F(PgLock, TheMarkerLastsOnlyForItsTransaction) {
    Connection connection = connect("peoplesync a");
    {
        Transaction apply(connection);
        postgres::begin_apply(connection, "peoplesync", "a run 1");
        EXPECT_EQ(connection.execute("SELECT current_setting('peoplesync.apply', true)").text(0, 0), "a run 1");
        apply.commit();
    }
    EXPECT_EQ(connection.execute("SELECT coalesce(current_setting('peoplesync.apply', true), '')").text(0, 0), "");
}

TEST_F(PgLock, OnlyInsideATransaction) {
    Connection connection = connect("peoplesync a");
    EXPECT_THROW(postgres::begin_apply(connection, "peoplesync", "a run 1"), std::logic_error);
}

}  // namespace
}  // namespace peoplesync::postgres_test
