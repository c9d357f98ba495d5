// The CLI sends the admin token over HTTPS only to the daemon that wrote the
// runtime file: a server with another certificate at its URL is refused
// before anything is sent to it.
#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const std::string tls_dir = PEOPLESYNC_SOURCE_DIR "/plugins/sink-webhook/tests/tls/";

class AdminTlsTest : public DaemonTest {
protected:
    void TearDown() override {
        if (impostor_ > 0 && alive(impostor_)) ::kill(impostor_, SIGKILL);
        if (impostor_ > 0) ::waitpid(impostor_, nullptr, 0);
        if (HasFailure()) std::cerr << "--- impostor's log\n" << read_text(dir_ / "impostor" / "daemon.log") << "---\n";
        DaemonTest::TearDown();
    }

    // Starts peoplesyncd on `config`; waits for its runtime file and returns its URL.
    std::string start_https(const std::filesystem::path& config, const std::filesystem::path& runtime, pid_t& pid) {
        auto handle = Poco::Process::launch(PEOPLESYNCD, {"--config", config.string()}, config.parent_path().string(),
                                            nullptr, nullptr, nullptr, Poco::Process::Env{});
        pid = handle.id();
        for (int i = 0; i < 500 && alive(pid); ++i) {
            json info = json::parse(read_text(runtime), nullptr, false);
            if (info.is_object() && info.value("pid", 0) == pid) return info["url"];
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << config << ": peoplesyncd did not start";
        return "";
    }

    pid_t impostor_ = 0;
};

TEST_F(AdminTlsTest, TheCliRefusesAServerWithAnotherCertificateBeforeSendingAnything) {
    write_config("", "  tls: {certificate_file: " + tls_dir + "localhost.pem, private_key_file: " + tls_dir +
                         "localhost.key}\n");
    const std::string url = start_https(config(), runtime_file(), pid_);
    ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << url;
    // The daemon dies; its runtime file stays, and another server takes its
    // port with a certificate of its own (and its own admin token).
    kill_hard();
    const auto impostor = dir_ / "impostor";
    std::filesystem::create_directories(impostor);
    std::ofstream(impostor / "peoplesync.yaml")
        << "state_database: var/state.db\n"
        << "http:\n"
        << "  listen: " << url.substr(8) << "\n"
        << "  tls: {certificate_file: " << tls_dir << "other-host.pem, private_key_file: " << tls_dir
        << "other-host.key}\n"
        << "admin: {token: impostor-token-0123456789abcdef}\n"
        << "log: {target: file, path: daemon.log}\n"
        << "pipelines:\n"
        << "  - name: hris\n"
        << "    source: {type: webhook}\n"
        << "    sinks: [{type: directory, database: var/directory.db}]\n";
    ASSERT_EQ(start_https(impostor / "peoplesync.yaml", impostor / "var" / "state.db.peoplesyncd.json", impostor_),
              url);
    // It answers /health with the pid the runtime file names, as anything could.
    json info = json::parse(read_text(runtime_file()));
    info["pid"] = impostor_;
    std::ofstream(runtime_file()) << info.dump();

    Output enabled = cli({"enable", "hris"});
    EXPECT_NE(enabled.status, 0) << enabled.out;
    EXPECT_NE(enabled.err.find("what answers at " + url + " presented a certificate with SHA-256 fingerprint "),
              std::string::npos)
        << enabled.err;
    EXPECT_NE(enabled.err.find("nothing was sent to it"), std::string::npos) << enabled.err;
    EXPECT_EQ(read_text(impostor / "daemon.log").find("/admin/v1"), std::string::npos)
        << "the CLI sent an admin request (and its token) to the impostor";
    EXPECT_EQ(read_text(impostor / "daemon.log").find("GET /health"), std::string::npos)
        << "the CLI sent a request to the impostor";
}

}  // namespace
}  // namespace peoplesync::daemon_test
