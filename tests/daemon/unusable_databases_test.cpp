// A state database or a directory database the daemon cannot use — not a
// database, read-only, or written by a newer build — stops its start with
// exit status 70 and a reason that names the file, and leaves the file as
// it was; a reload onto such a directory is refused and the running
// configuration stays.
//
// Read-only: for a user other than root, the file's mode (0444); root
// writes whatever the mode says, so for root the file is bound read-only
// onto itself in a mount namespace of the daemon's own (unshare(1)).
#include <sys/stat.h>

#include <sqlite3.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

class UnusableDatabasesTest : public DaemonTest {
protected:
    std::filesystem::path state() const { return dir_ / "var" / "state.db"; }
    std::filesystem::path directory() const { return dir_ / "var" / "directory.db"; }

    // Makes both databases as a daemon leaves them, and stops it.
    void make_databases() {
        start();
        make_credentials();
        ASSERT_EQ(post_snapshot(read_text(dir_ / "webhook-data-example.json")).status, 202);
        stop();
        ASSERT_TRUE(std::filesystem::exists(state()));
        ASSERT_TRUE(std::filesystem::exists(directory()));
    }

    // peoplesyncd --daemon: what a start that fails says, and its status.
    // With `read_only`, that file is read-only for the daemon.
    Output start_daemon(const std::filesystem::path& read_only = {}) {
        const std::vector<std::string> args = {"--daemon", "--pidfile", (dir_ / "peoplesyncd.pid").string(), "--config",
                                               config().string()};
        Output launched;
        if (read_only.empty()) {
            launched = run_program(PEOPLESYNCD, args, dir_);
        } else if (::geteuid() != 0) {
            std::filesystem::permissions(read_only, std::filesystem::perms::owner_read |
                                                        std::filesystem::perms::group_read |
                                                        std::filesystem::perms::others_read);
            launched = run_program(PEOPLESYNCD, args, dir_);
            std::filesystem::permissions(read_only, std::filesystem::perms::owner_all);
        } else {
            std::vector<std::string> wrapped = {
                "--mount",
                "sh",
                "-c",
                "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"",
                read_only.string(),
                PEOPLESYNCD};
            wrapped.insert(wrapped.end(), args.begin(), args.end());
            launched = run_program("unshare", wrapped, dir_);
            EXPECT_EQ(launched.err.find("unshare:"), std::string::npos)
                << "root's read-only file needs a mount namespace (unshare --mount): " << launched.err;
        }
        if (std::filesystem::exists(dir_ / "peoplesyncd.pid")) pid_ = std::stoi(read_text(dir_ / "peoplesyncd.pid"));
        return launched;
    }

    static void sql(const std::filesystem::path& file, const std::string& statements) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
        char* error = nullptr;
        const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &error);
        const std::string why = error != nullptr ? error : "";
        sqlite3_free(error);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << why;
    }

    static std::string bytes_of(const std::filesystem::path& file) { return read_text(file); }

    // The start failed with 70 and `reason`, nothing runs, and the file is as it was.
    void expect_refused(const Output& launched, const std::string& reason, const std::filesystem::path& file,
                        const std::string& before) {
        EXPECT_EQ(launched.status, 70) << launched.err;
        EXPECT_NE(launched.err.find("cannot start: "), std::string::npos) << launched.err;
        EXPECT_NE(launched.err.find(reason), std::string::npos) << launched.err;
        EXPECT_EQ(launched.err.find("Exception"), std::string::npos) << "a crash, not a refusal:\n" << launched.err;
        EXPECT_FALSE(std::filesystem::exists(runtime_file())) << "a daemon serves";
        EXPECT_EQ(bytes_of(file), before) << file << " changed";
    }
};

TEST_F(UnusableDatabasesTest, AStateDatabaseThatIsNotOneIsRefusedAtStart) {
    std::filesystem::create_directories(state().parent_path());
    std::ofstream(state()) << "Worker ID,Email\nW-1,ada@example.com\n" << std::string(300, '#') << "\n";
    const std::string before = bytes_of(state());
    expect_refused(start_daemon(), "state database " + state().string() + ": ", state(), before);
    EXPECT_NE(start_daemon().err.find("not a database"), std::string::npos);
}

TEST_F(UnusableDatabasesTest, AStateDatabaseOfANewerBuildIsRefusedAtStart) {
    make_databases();
    sql(state(), "UPDATE schema_versions SET version = 999 WHERE component = 'state'");
    const std::string before = bytes_of(state());
    expect_refused(start_daemon(), "state database " + state().string() + ": it was written by a newer peoplesync",
                   state(), before);
}

TEST_F(UnusableDatabasesTest, AReadOnlyStateDatabaseIsRefusedAtStart) {
    make_databases();
    const std::string before = bytes_of(state());
    expect_refused(start_daemon(state()), "state database " + state().string() + " is read-only (", state(), before);
}

TEST_F(UnusableDatabasesTest, ADirectoryThatIsNotADatabaseIsRefusedAtStart) {
    std::filesystem::create_directories(directory().parent_path());
    std::ofstream(directory()) << "name,email\nOlga,old@example.com\n" << std::string(200, '#') << "\n";
    const std::string before = bytes_of(directory());
    const Output launched = start_daemon();
    expect_refused(launched, "pipeline hris, sink directory: directory " + directory().string(), directory(), before);
    EXPECT_NE(launched.err.find("not a database"), std::string::npos) << launched.err;
}

TEST_F(UnusableDatabasesTest, ADirectoryOfANewerBuildIsRefusedAtStart) {
    make_databases();
    sql(directory(), "PRAGMA user_version = 99");
    const std::string before = bytes_of(directory());
    const Output launched = start_daemon();
    expect_refused(launched, "pipeline hris, sink directory: directory " + directory().string(), directory(), before);
    EXPECT_NE(launched.err.find("written by a newer peoplesync (schema 99"), std::string::npos) << launched.err;
}

TEST_F(UnusableDatabasesTest, AReadOnlyDirectoryIsRefusedAtStart) {
    make_databases();
    const std::string before = bytes_of(directory());
    expect_refused(start_daemon(directory()),
                   "pipeline hris, sink directory: directory " + directory().string() + " is read-only (", directory(),
                   before);
}

// A reload onto a directory that is not a database keeps the running
// configuration, which goes on receiving.
TEST_F(UnusableDatabasesTest, AReloadOntoADirectoryThatIsNotADatabaseIsRefused) {
    start();
    make_credentials();
    std::ofstream(dir_ / "var" / "other.db") << "not a database, only text\n" << std::string(200, '#') << "\n";
    std::string yaml = read_text(config());
    yaml.replace(yaml.find("var/directory.db"), std::string("var/directory.db").size(), "var/other.db");
    std::ofstream(config()) << yaml;
    Answer reload = admin("POST", "/reload");
    EXPECT_EQ(reload.status, 400) << reload.body;
    EXPECT_NE(reload.body.find("directory " + (dir_ / "var" / "other.db").string()), std::string::npos) << reload.body;
    EXPECT_NE(reload.body.find("not a database"), std::string::npos) << reload.body;
    EXPECT_EQ(post_snapshot(read_text(dir_ / "webhook-data-example.json")).status, 202)
        << "the running configuration stopped receiving";
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
