// Starting the daemon: --daemon ends only once the daemon serves, or with
// the reason and exit status of a start that failed (as in the foreground);
// --version.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <peoplesync/abi.hpp>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const std::string tls_dir = PEOPLESYNC_SOURCE_DIR "/plugins/sink-webhook/tests/tls/";

// A port of 127.0.0.1 held by a listener that shares it with nobody.
class TakenPort {
public:
    TakenPort() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
            throw std::runtime_error("cannot listen on 127.0.0.1");
        port_ = ntohs(address.sin_port);
    }
    ~TakenPort() { ::close(fd_); }
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

class DaemonStartTest : public DaemonTest {
protected:
    std::filesystem::path pidfile() const { return dir_ / "peoplesyncd.pid"; }

    // peoplesyncd --daemon, from another folder: the command's end and what it printed.
    Output start_daemon() {
        Output launched =
            run_program(PEOPLESYNCD, {"--daemon", "--pidfile", pidfile().string(), "--config", config().string()},
                        std::filesystem::temp_directory_path());
        if (std::filesystem::exists(pidfile())) pid_ = std::stoi(read_text(pidfile()));  // TearDown kills it
        return launched;
    }

    void replace_in_config(const std::string& text, const std::string& by) {
        std::string yaml = read_text(config());
        const auto at = yaml.find(text);
        ASSERT_NE(at, std::string::npos) << text;
        yaml.replace(at, text.size(), by);
        std::ofstream(config()) << yaml;
    }

    // A failed start leaves no pid file, no runtime file and no process.
    void expect_nothing_left() {
        EXPECT_FALSE(std::filesystem::exists(pidfile()));
        EXPECT_FALSE(std::filesystem::exists(runtime_file()));
    }
};

TEST_F(DaemonStartTest, TheCommandEndsOnceTheDaemonServes) {
    Output launched = start_daemon();
    ASSERT_EQ(launched.status, 0) << launched.err;
    // No waiting: by the time the command ended, the daemon serves.
    ASSERT_TRUE(std::filesystem::exists(pidfile())) << "no pid file when --daemon ended";
    EXPECT_EQ(read_text(pidfile()), std::to_string(pid_) + "\n");
    json info = json::parse(read_text(runtime_file()), nullptr, false);
    ASSERT_TRUE(info.is_object()) << "no runtime file when --daemon ended";
    EXPECT_EQ(info["pid"], pid_);
    url_ = info["url"];
    port_ = static_cast<std::uint16_t>(Poco::URI(url_).getPort());
    Answer health = get("/health");
    EXPECT_EQ(health.status, 200) << health.body;
    EXPECT_EQ(health.parsed()["pid"], pid_);
    EXPECT_EQ(getsid(pid_), pid_) << "the daemon leads a session of its own";
    EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(pid_) + "/cwd"), "/");
    signal(SIGTERM);
    const auto asked = std::chrono::steady_clock::now();
    while (alive(pid_) && std::chrono::steady_clock::now() - asked < 10s) std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(alive(pid_));
    pid_ = 0;
    for (int i = 0; i < 100 && std::filesystem::exists(pidfile()); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(std::filesystem::exists(pidfile())) << "the pid file outlived the daemon";
}

TEST_F(DaemonStartTest, APortInUseEndsTheCommandWithSeventyAndWhy) {
    TakenPort taken;
    const std::string address = "127.0.0.1:" + std::to_string(taken.port());
    replace_in_config("127.0.0.1:0", address);
    Output launched = start_daemon();
    EXPECT_EQ(launched.status, 70) << launched.err;
    EXPECT_NE(launched.err.find("cannot start: http.listen: cannot serve http on " + address), std::string::npos)
        << launched.err;
    expect_nothing_left();
}

TEST_F(DaemonStartTest, AStateDatabaseAnotherDaemonServesEndsTheCommandWithSeventyAndWhy) {
    start();
    const pid_t first = pid_;
    pid_ = 0;
    Output launched = start_daemon();
    pid_ = first;
    EXPECT_EQ(launched.status, 70) << launched.err;
    EXPECT_NE(launched.err.find("another daemon, peoplesyncd (pid " + std::to_string(first) +
                                "), serves the state database " + (dir_ / "var" / "state.db").string()),
              std::string::npos)
        << launched.err;
    EXPECT_FALSE(std::filesystem::exists(pidfile()));
    EXPECT_EQ(get("/health").status, 200) << "the daemon already running was disturbed";
    stop();
}

TEST_F(DaemonStartTest, AMissingTlsFileIsAConfigurationErrorNamingItsPlace) {
    write_config("", "  tls:\n    certificate_file: missing.pem\n    private_key_file: " + tls_dir + "localhost.key\n");
    Output launched = start_daemon();
    EXPECT_EQ(launched.status, 78) << launched.err;
    EXPECT_NE(launched.err.find("configuration error: " + config().string() + ":6:23: http.tls.certificate_file: " +
                                (dir_ / "missing.pem").string() + " does not exist"),
              std::string::npos)
        << launched.err;
    expect_nothing_left();
}

TEST_F(DaemonStartTest, AMissingPluginIsAConfigurationErrorNamingItsPlace) {
    replace_in_config("source: {type: webhook}", "source: {type: sftp}");
    const std::string expected = "configuration error: " + config().string() +
                                 ":12:20: pipelines[0].source.type: no plugin provides source type \"sftp\"";
    Output launched = start_daemon();
    EXPECT_EQ(launched.status, 78) << launched.err;
    EXPECT_NE(launched.err.find(expected), std::string::npos) << launched.err;
    expect_nothing_left();
    // The same in the foreground.
    Output foreground = run_program(PEOPLESYNCD, {"--config", config().string()}, dir_);
    EXPECT_EQ(foreground.status, 78) << foreground.err;
    EXPECT_NE(foreground.err.find(expected), std::string::npos) << foreground.err;
}

TEST_F(DaemonStartTest, BothProgramsSayTheirVersionAndThePluginAbi) {
    const std::string abi = "ABI " + std::to_string(PEOPLESYNC_ABI_VERSION) + ", ";
    Output daemon = run_program(PEOPLESYNCD, {"--version"}, dir_);
    EXPECT_EQ(daemon.status, 0) << daemon.err;
    EXPECT_EQ(daemon.out.rfind("peoplesyncd " PEOPLESYNC_PROJECT_VERSION "\n", 0), 0u) << daemon.out;
    EXPECT_NE(daemon.out.find(abi), std::string::npos) << daemon.out;
    Output cli = run_program(PEOPLESYNC_CLI, {"--version"}, dir_);
    EXPECT_EQ(cli.status, 0) << cli.err;
    EXPECT_EQ(cli.out.rfind("peoplesync " PEOPLESYNC_PROJECT_VERSION "\n", 0), 0u) << cli.out;
    EXPECT_NE(cli.out.find(abi), std::string::npos) << cli.out;
}

}  // namespace
}  // namespace peoplesync::daemon_test
