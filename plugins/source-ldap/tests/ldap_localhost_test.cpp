// ldaps://localhost with a certificate that names localhost: libldap checks
// the certificate of a server named "localhost" against the machine's own
// name instead (`ldapsearch -d 1` says "TLS: hostname (vm) does not match
// common name in certificate (localhost)"), so it is refused; the error
// says so and what to write.
#include "ldap_fixture.hpp"

namespace peoplesync::ldap_test {
namespace {

class LdapLocalhost : public LdapTestBase {
protected:
    static void SetUpTestSuite() {
        ServerOptions options;
        options.certificate_names = "DNS:localhost,IP:127.0.0.1";
        try {
            server_ = std::make_unique<SlapdServer>(test_dir("localhost-server"), ldif(org()), options);
        } catch (const std::exception& e) {
            server_error_ = e.what();
        }
    }
    static void TearDownTestSuite() {
        if (!server_) return;
        const fs::path dir = server_->dir();
        server_.reset();
        fs::remove_all(dir);
    }
    void SetUp() override {
        LdapTestBase::SetUp();
        ASSERT_TRUE(server_) << "no test server: " << server_error_;
    }

    static std::string uri_with_host(const std::string& host) {
        const std::string ldaps = server_->ldaps_uri();
        return "ldaps://" + host + ldaps.substr(ldaps.rfind(':'));
    }
    static std::string connection_to(const std::string& host) {
        return LdapTestBase::connection(*server_,
                                        {{"uri", uri_with_host(host)}, {"ca_file", server_->ca_file().string()}});
    }

    static inline std::unique_ptr<SlapdServer> server_;
    static inline std::string server_error_;
};

TEST_F(LdapLocalhost, ACertificateForLocalhostIsRefusedAndTheErrorSaysWhyAndWhatToWrite) {
    const std::string uri = uri_with_host("localhost");
    const std::string message = read_error(connection_to("localhost"));
    EXPECT_EQ(message.rfind(uri + ": the TLS handshake failed: the server's certificate was refused. libldap checks "
                                  "the certificate of a server named localhost against this machine's name, \"",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find("write 127.0.0.1 in uri instead of localhost (the certificate must name IP address "
                           "127.0.0.1)"),
              std::string::npos)
        << message;
}

TEST_F(LdapLocalhost, TheSameCertificateServesTheAddress) {
    EXPECT_EQ(read(connection_to("127.0.0.1")).users.size(), 27u);
}

}  // namespace
}  // namespace peoplesync::ldap_test
