// The daemon's configuration keys: defaults, units, and errors with the
// file, line and key.
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "settings.hpp"

namespace peoplesync::core {
namespace {

class DaemonSettingsTest : public ::testing::Test {
protected:
    void SetUp() override {
        file_ = std::filesystem::temp_directory_path() /
                ("peoplesync-settings-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml");
    }
    void TearDown() override { std::filesystem::remove(file_); }

    Settings load(const std::string& head, const std::string& pipeline_extra = "") {
        std::ofstream(file_) << head << "pipelines:\n  - name: p\n    source: {type: csv, path: x.csv}\n"
                             << pipeline_extra << "    sinks: [{type: directory, database: d.db}]\n";
        return load_settings(file_);
    }

    std::string error_of(const std::string& head, const std::string& pipeline_extra = "") {
        try {
            load(head, pipeline_extra);
        } catch (const ConfigError& e) {
            std::string message = e.what();
            return message.substr(message.rfind('/') + 1);  // without the temporary folder
        }
        return "accepted";
    }

    std::filesystem::path file_;
};

TEST_F(DaemonSettingsTest, Defaults) {
    Settings s = load("");
    EXPECT_EQ(s.http.host, "127.0.0.1");
    EXPECT_EQ(s.http.port, 8080);
    EXPECT_EQ(s.http.threads, 16);
    EXPECT_EQ(s.http.control_threads, 4);
    EXPECT_EQ(s.http.queue, 64);
    EXPECT_EQ(s.http.max_connections, 512);
    EXPECT_EQ(s.http.keepalive_timeout_secs, 10);
    EXPECT_EQ(s.http.request_timeout_secs, 30);
    EXPECT_EQ(s.http.max_body_bytes, std::int64_t{1} << 30);
    EXPECT_FALSE(s.http.tls.enabled());
    EXPECT_TRUE(s.admin.token.empty());
    EXPECT_FALSE(s.admin.allow_remote);
    EXPECT_EQ(s.log.target, "console");
    EXPECT_EQ(s.log.level, "information");
    EXPECT_TRUE(s.pipelines[0].schedule.empty());
}

TEST_F(DaemonSettingsTest, EverySectionIsRead) {
    Settings s = load(
        "http:\n  listen: '[::1]:0'\n  threads: 4\n  control_threads: 3\n  queue: 8\n  max_connections: 100\n"
        "  keepalive_timeout_secs: 0\n"
        "  request_timeout_secs: 5\n  max_body_bytes: 1000\n  tls: {certificate_file: c.pem, private_key_file: k.pem}\n"
        "admin: {token: 0123456789abcdef0123, allow_remote: true}\n"
        "log: {target: file, path: log/peoplesyncd.log, level: debug, rotate_bytes: 8192, keep_files: 2}\n",
        "    schedule: every 30m\n");
    EXPECT_EQ(s.http.host, "::1");
    EXPECT_EQ(s.http.port, 0);
    EXPECT_EQ(s.http.threads, 4);
    EXPECT_EQ(s.http.control_threads, 3);
    EXPECT_EQ(s.http.max_connections, 100);
    EXPECT_EQ(s.http.max_body_bytes, 1000);
    EXPECT_EQ(s.http.tls.certificate_file, file_.parent_path() / "c.pem");
    EXPECT_EQ(s.admin.token, "0123456789abcdef0123");
    EXPECT_TRUE(s.admin.allow_remote);
    EXPECT_EQ(s.log.path, file_.parent_path() / "log/peoplesyncd.log");
    EXPECT_EQ(s.pipelines[0].schedule.every_secs, 1800);
    for (auto [text, secs] :
         std::vector<std::pair<std::string, std::int64_t>>{{"every 90s", 90}, {"every 1h", 3600}, {"every 2d", 172800}})
        EXPECT_EQ(load("", "    schedule: " + text + "\n").pipelines[0].schedule.every_secs, secs) << text;
}

TEST_F(DaemonSettingsTest, TheScheduleDoesNotChangeTheFingerprint) {
    const std::string without = load("").pipelines[0].fingerprint;
    EXPECT_EQ(load("", "    schedule: every 1h\n").pipelines[0].fingerprint, without);
}

TEST_F(DaemonSettingsTest, BadKeysAndValuesAreRefusedWithTheirPlace) {
    const std::string name = file_.filename().string();
    EXPECT_EQ(error_of("http: {listne: 1}\n"),
              name +
                  ":1:16: http.listne: unknown option \"listne\" (known options: listen, threads, "
                  "control_threads, queue, max_connections, keepalive_timeout_secs, request_timeout_secs, "
                  "max_body_bytes, tls)");
    EXPECT_EQ(error_of("http: {listen: localhost}\n"),
              name + ":1:16: http.listen: \"localhost\" is not an address: write host:port");
    EXPECT_EQ(error_of("http: {listen: 'example.com:80'}\n"),
              name + ":1:16: http.listen: \"example.com\" is not an IP address (write 127.0.0.1, 0.0.0.0 or [::1])");
    EXPECT_EQ(error_of("http: {threads: 0}\n"), name + ":1:17: http.threads: 0 is out of range [1, 1024]");
    EXPECT_EQ(error_of("http: {control_threads: 1}\n"),
              name + ":1:25: http.control_threads: 1 is out of range [2, 64]");
    EXPECT_EQ(error_of("http: {tls: {certificate_file: c.pem}}\n"),
              name + ":1:13: http.tls: missing required option \"private_key_file\"");
    EXPECT_EQ(error_of("admin: {token: short}\n"),
              name +
                  ":1:16: admin.token: the admin token is too short: use at least 16 characters (openssl rand "
                  "-hex 24)");
    EXPECT_EQ(error_of("log: {target: journal}\n"),
              name + ":1:15: log.target: \"journal\" is not one of: console, file, syslog");
    EXPECT_EQ(error_of("log: {target: file}\n"), name + ":1:6: log: target: file needs a path");
    EXPECT_EQ(error_of("", "    schedule: hourly\n"),
              name +
                  ":4:15: pipelines[0].schedule: \"hourly\" is not a schedule: write \"every\" and a duration: "
                  "every 90s, every 30m, every 1h, every 1d");
    EXPECT_EQ(error_of("", "    schedule: every 5 minutes\n"),
              name +
                  ":4:15: pipelines[0].schedule: \"every 5 minutes\" is not a schedule: write \"every\" and a "
                  "duration: every 90s, every 30m, every 1h, every 1d");
}

}  // namespace
}  // namespace peoplesync::core
