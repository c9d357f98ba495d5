// `peoplesync validate` checks what a start of peoplesyncd checks, and a
// configuration the daemon cannot start with is a configuration error
// (exit 2) naming its place.
#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const std::string tls_dir = PEOPLESYNC_SOURCE_DIR "/plugins/sink-webhook/tests/tls/";

class ValidateTest : public DaemonTest {
protected:
    Output validate() { return cli({"validate"}); }

    void with_tls(const std::string& certificate, const std::string& key) {
        write_config("", "  tls:\n    certificate_file: " + certificate + "\n    private_key_file: " + key + "\n");
    }

    // Exit 2 and the message, once, on stderr.
    void expect_configuration_error(const Output& out, const std::string& message) {
        EXPECT_EQ(out.status, 2) << out.out << out.err;
        EXPECT_EQ(out.err, "peoplesync: configuration error: " + message + "\n");
    }
};

TEST_F(ValidateTest, AMissingPluginIsAConfigurationErrorNamingTheFileLineAndKey) {
    std::string yaml = read_text(config());
    yaml.replace(yaml.find("{type: webhook}"), 15, "{type: sftp}");
    std::ofstream(config()) << yaml;
    Output out = validate();
    EXPECT_EQ(out.status, 2) << out.err;
    EXPECT_EQ(
        out.err.rfind("peoplesync: configuration error: " + config().string() +
                          ":12:20: pipelines[0].source.type: no plugin provides source type \"sftp\" (available: ",
                      0),
        0u)
        << out.err;
}

TEST_F(ValidateTest, APushSourceWithAScheduleIsRefusedAsTheDaemonRefusesIt) {
    std::ofstream(config(), std::ios::app) << "    schedule: every 1h\n";
    expect_configuration_error(validate(), config().string() +
                                               ":15:15: pipelines[0].schedule: source webhook receives its snapshots "
                                               "when they are pushed; it takes no schedule");
}

TEST_F(ValidateTest, AMissingCertificateFileIsNamed) {
    with_tls("missing.pem", tls_dir + "localhost.key");
    expect_configuration_error(validate(), config().string() + ":6:23: http.tls.certificate_file: " +
                                               (dir_ / "missing.pem").string() + " does not exist");
}

TEST_F(ValidateTest, ACertificateFileThatHoldsNoCertificateIsNamed) {
    with_tls(tls_dir + "localhost.key", tls_dir + "localhost.key");
    expect_configuration_error(validate(), config().string() + ":6:23: http.tls.certificate_file: " + tls_dir +
                                               "localhost.key holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
}

TEST_F(ValidateTest, AKeyOfAnotherCertificateIsNamed) {
    with_tls(tls_dir + "localhost.pem", tls_dir + "other-host.key");
    expect_configuration_error(validate(), config().string() + ":7:23: http.tls.private_key_file: " + tls_dir +
                                               "other-host.key is not the private key of the certificate in " +
                                               tls_dir + "localhost.pem");
}

TEST_F(ValidateTest, UsableTlsFilesPassWithTheCertificatesFingerprint) {
    with_tls(tls_dir + "localhost.pem", tls_dir + "localhost.key");
    Output fingerprint =
        run_program("openssl", {"x509", "-in", tls_dir + "localhost.pem", "-noout", "-fingerprint", "-sha256"}, dir_);
    ASSERT_EQ(fingerprint.status, 0) << fingerprint.err;
    const std::string sha256 = fingerprint.out.substr(fingerprint.out.find('=') + 1, 95);  // 32 bytes as AB:CD:...
    Output out = validate();
    EXPECT_EQ(out.status, 0) << out.err;
    EXPECT_NE(out.out.find("https: " + tls_dir + "localhost.pem (SHA-256 " + sha256 + ")"), std::string::npos)
        << out.out;
}

}  // namespace
}  // namespace peoplesync::daemon_test
