// A server that dies or stops answering in the middle of a read: the read
// throws, so that no partial snapshot is ever taken for the whole directory,
// and it does so within the configured timeouts.
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>

#include "ldap_fixture.hpp"

namespace peoplesync::ldap_test {
namespace {

const char* const discarded = "; the read is incomplete and was discarded, nothing is synced from it";

class LdapFailure : public LdapTestBase {
protected:
    void TearDown() override {
        server_.reset();
        LdapTestBase::TearDown();
    }
    SlapdServer& start(const std::string& ldif_text, ServerOptions options = {}) {
        server_ = std::make_unique<SlapdServer>(dir() / "slapd", ldif_text, options);
        return *server_;
    }
    std::unique_ptr<SlapdServer> server_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_F(LdapFailure, AServerKilledBetweenPagesFailsTheRead) {
    SlapdServer& server = start(ldif(org()));
    context().on_progress = [&](std::int64_t) { server.kill(); };
    const std::string message = read_error(connection(server, {{"page_size", "5"}}));
    // Killed after the first page was handed over; the request for the
    // second had left already, and the server may have answered it, whole
    // or in part (on a loaded machine it is still sending when it dies).
    const long entries = lost_after(message, server.uri());
    EXPECT_GE(entries, 5) << message;
    EXPECT_LE(entries, 10) << message;
    EXPECT_NE(message.find("entries (Can't contact LDAP server"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string(")") + discarded), std::string::npos) << message;
    ASSERT_FALSE(context().calls.empty());
    EXPECT_EQ(context().calls.front(), 5);
}

TEST_F(LdapFailure, AServerKilledInTheMiddleOfAPageFailsTheRead) {
    // No paging and no size limit: one answer of about 20 MB, far more than
    // the socket buffers hold, so the server is still sending when it dies.
    std::vector<Person> people;
    const std::string long_title(1000, 't');
    for (int i = 0; i < 20000; ++i) {
        const std::string n = std::to_string(i);
        people.push_back(
            {"uid=p" + n, "p" + n, "P", n, "p" + n + "@example.com", long_title, "", "", {}, {}, "", "", "", ""});
    }
    SlapdServer& server = start(ldif(people), {"unlimited"});
    context().on_progress = [&](std::int64_t) {
        if (context().calls.size() == 1) server.kill();
    };
    const std::string message = read_error(connection(server, {{"page_size", "0"}}));
    const long entries = lost_after(message, server.uri());
    EXPECT_GE(entries, 5000) << message;
    EXPECT_LT(entries, 20000);
    EXPECT_EQ(context().calls.front(), 5000);  // progress every 5000 entries without paging
}

TEST_F(LdapFailure, AServerThatStopsAnsweringMidReadTimesOut) {
    SlapdServer& server = start(ldif(org()));
    context().on_progress = [&](std::int64_t) { server.pause(); };
    const auto started = std::chrono::steady_clock::now();
    const std::string message = read_error(connection(server, {{"page_size", "5"}, {"timeout_secs", "1"}}));
    // Paused after the first page; the next may have been answered already,
    // in whole or in part (slapd sends a page entry by entry).
    const std::string answer = server.uri() + ": no answer from the server within 1 s (timeout_secs) after ";
    ASSERT_EQ(message.rfind(answer, 0), 0u) << message;
    const long entries = std::stol(message.substr(answer.size()));
    EXPECT_TRUE(entries >= 5 && entries < 27) << message;
    EXPECT_EQ(message.substr(message.size() - std::string(discarded).size()), discarded) << message;
    EXPECT_LT(seconds_since(started), 5.0);
}

TEST_F(LdapFailure, ABindThatIsNeverAnsweredTimesOut) {
    SlapdServer& server = start(ldif(org()));
    server.pause();  // the kernel still accepts the connection
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(
        read_error(connection(server, {{"timeout_secs", "1"}})),
        server.uri() +
            ": no answer to the bind as \"cn=peoplesync,ou=services,dc=example,dc=com\" within 1 s (timeout_secs)");
    EXPECT_LT(seconds_since(started), 5.0);
}

TEST_F(LdapFailure, StartTlsThatIsNeverAnsweredTimesOut) {
    SlapdServer& server = start(ldif(org()));
    server.pause();
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(read_error(connection(server, {{"start_tls", "true"}, {"timeout_secs", "1"}})),
              server.uri() + ": no answer to StartTLS within 1 s (timeout_secs)");
    EXPECT_LT(seconds_since(started), 5.0);
}

TEST_F(LdapFailure, ATlsHandshakeThatIsNeverAnsweredTimesOut) {
    // A socket that accepts connections (the kernel does) and never speaks.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const std::string uri = "ldaps://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    const auto started = std::chrono::steady_clock::now();
    const std::string message =
        read_error("uri: " + uri + "\nbase_dn: dc=example,dc=com\nconnect_timeout_secs: 1\ntimeout_secs: 30\n");
    ::close(fd);
    EXPECT_EQ(message, uri +
                           ": no connection within 1 s (connect_timeout_secs, for the TCP connection and the TLS "
                           "handshake); check the host and port in uri and any firewall in between");
    EXPECT_LT(seconds_since(started), 5.0);
}

}  // namespace
}  // namespace peoplesync::ldap_test
