// The connection: its settings reach the server, and a wrong password, a
// server that is not there or does not answer, and a failed TLS check each
// give an error that names the host, port and user, and never the password.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "connection.hpp"
#include "pg_server.hpp"

namespace peoplesync::postgres_test {
namespace {

using postgres::Connection;
using postgres::ConnectionSettings;

class PgConnection : public PgTest {
protected:
    ConnectionSettings settings(const std::string& password = PgServer::sink_password) const {
        ConnectionSettings s;
        s.dsn = dsn();
        s.password = password;
        s.application_name = "peoplesync hr";
        return s;
    }

    // The message of the Error connecting with `s` throws.
    static std::string connect_error(const ConnectionSettings& s) {
        try {
            Connection connection(s);
        } catch (const Error& e) {
            return e.what();
        }
        ADD_FAILURE() << "connected to " << s.dsn;
        return "";
    }
};

TEST_F(PgConnection, ConnectsWithThePasswordAndShowsTheApplicationNameAndTimeout) {
    ConnectionSettings s = settings();
    s.statement_timeout_secs = 7;
    Connection connection(s);
    auto seen =
        connection.execute("SELECT application_name, current_user FROM pg_stat_activity WHERE pid = pg_backend_pid()");
    ASSERT_EQ(seen.rows(), 1);
    EXPECT_EQ(seen.text(0, 0), "peoplesync hr");
    EXPECT_EQ(seen.text(0, 1), PgServer::sink_user);
    EXPECT_EQ(connection.execute("SHOW statement_timeout").text(0, 0), "7s");
    EXPECT_EQ(connection.describe(),
              "host 127.0.0.1 port " + std::to_string(pg_server().port()) + " user peoplesync database " + database());
}

TEST_F(PgConnection, TheDsnsApplicationNameWins) {
    ConnectionSettings s = settings();
    s.dsn += " application_name=hr-nightly";
    Connection connection(s);
    EXPECT_EQ(connection.execute("SELECT current_setting('application_name')").text(0, 0), "hr-nightly");
}

TEST_F(PgConnection, AWrongPasswordNamesHostPortAndUserButNotThePassword) {
    const std::string message = connect_error(settings("Not-The-Pa55word"));
    EXPECT_NE(message.find("host 127.0.0.1 port " + std::to_string(pg_server().port()) + " user peoplesync"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("the server refused the password"), std::string::npos) << message;
    EXPECT_EQ(message.find("Not-The-Pa55word"), std::string::npos) << message;
}

TEST_F(PgConnection, APasswordInTheDsnIsNeverShown) {
    ConnectionSettings s = settings("");
    s.dsn = "postgresql://peoplesync:Wrong-In-Dsn-99@127.0.0.1:" + std::to_string(pg_server().port()) + "/" +
            database() + "?bogus_option=1";
    const std::string message = connect_error(s);
    EXPECT_NE(message.find("not a libpq connection string or URI"), std::string::npos) << message;
    EXPECT_EQ(message.find("Wrong-In-Dsn-99"), std::string::npos) << message;
}

TEST_F(PgConnection, NoPasswordSaysNoneWasGiven) {
    const std::string message = connect_error(settings(""));
    EXPECT_NE(message.find("none was given (password_env"), std::string::npos) << message;
}

TEST_F(PgConnection, AServerThatIsNotThereNamesHostAndPort) {
    pg_server().stop();
    const std::string message = connect_error(settings());
    pg_server().start();
    EXPECT_NE(message.find("postgres host 127.0.0.1 port " + std::to_string(pg_server().port()) + " user peoplesync"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("nothing accepts connections there"), std::string::npos) << message;
}

TEST_F(PgConnection, AServerThatNeverAnswersTimesOut) {
    // A listener that never accepts: the kernel completes the handshake,
    // then nothing answers libpq's start-up message.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const int port = ntohs(address.sin_port);
    ConnectionSettings s = settings();
    s.dsn = "host=127.0.0.1 port=" + std::to_string(port) + " user=peoplesync dbname=" + database();
    s.connect_timeout_secs = 2;
    const auto started = std::chrono::steady_clock::now();
    const std::string message = connect_error(s);
    const auto took = std::chrono::steady_clock::now() - started;
    ::close(fd);
    EXPECT_NE(message.find("port " + std::to_string(port)), std::string::npos) << message;
    EXPECT_NE(message.find("no answer within connect_timeout_secs (2 s)"), std::string::npos) << message;
    EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(PgConnection, AStatementPastTheTimeoutIsCancelled) {
    ConnectionSettings s = settings();
    s.statement_timeout_secs = 1;
    Connection connection(s);
    try {
        connection.execute("SELECT pg_sleep(5)");
        FAIL() << "pg_sleep(5) ran past a 1 s statement timeout";
    } catch (const postgres::StatementError& e) {
        EXPECT_EQ(e.sqlstate(), "57014") << e.what();  // query_canceled
        EXPECT_NE(std::string(e.what()).find("statement timeout"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(connection.usable());
}

TEST_F(PgConnection, TheServerGoingAwayMidTransactionSaysSoAndKeepsNothing) {
    Connection connection(settings());
    connection.execute("CREATE TABLE t (v int)");
    {
        postgres::Transaction transaction(connection);
        connection.execute("INSERT INTO t VALUES (1)");
        pg_server().stop_immediate();
        try {
            connection.execute("INSERT INTO t VALUES (2)");
            ADD_FAILURE() << "a statement ran on a server that is gone";
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("postgres host 127.0.0.1 port " + std::to_string(pg_server().port())),
                      std::string::npos)
                << message;
            EXPECT_NE(message.find("the connection was lost"), std::string::npos) << message;
        }
        EXPECT_FALSE(connection.usable());
    }
    pg_server().start();
    Connection again(settings());
    EXPECT_EQ(again.execute("SELECT count(*) FROM t").integer(0, 0), 0);
}

TEST_F(PgConnection, VerifyFullChecksTheServersCertificateAgainstTheCa) {
    ConnectionSettings s = settings();
    s.sslmode = "verify-full";
    s.sslrootcert = pg_server().ca_file().string();
    Connection connection(s);
    EXPECT_EQ(connection.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").text(0, 0), "t");

    s.sslrootcert = pg_server().other_ca_file().string();
    const std::string message = connect_error(s);
    EXPECT_NE(message.find("TLS failed"), std::string::npos) << message;
    EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
}

TEST_F(PgConnection, AnExplicitSslmodeOverridesTheDsns) {
    ConnectionSettings s = settings();
    s.dsn += " sslmode=disable";
    s.sslmode = "require";
    Connection connection(s);
    EXPECT_EQ(connection.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").text(0, 0), "t");
}

}  // namespace
}  // namespace peoplesync::postgres_test
