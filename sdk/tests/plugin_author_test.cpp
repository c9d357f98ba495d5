// What the SDK gives a plugin author beyond the interfaces: add_user_json
// for sources that receive users one at a time, and <peoplesync/testing.hpp>.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include <peoplesync/snapshot_json.hpp>
#include <peoplesync/testing.hpp>
#include <peoplesync/validation.hpp>

namespace peoplesync {
namespace {

const std::string fixtures = PEOPLESYNC_FIXTURE_PLUGIN_DIR;

bool has_error(const Snapshot& s, const std::string& location, const std::string& fragment) {
    for (const auto& f : s.findings)
        if (f.severity == Severity::error && f.location == location && f.message.find(fragment) != std::string::npos)
            return true;
    return false;
}

TEST(AddUserJson, AppendsOneUserWithItsPlace) {
    Snapshot snapshot;
    const UserView user = add_user_json(snapshot, "people.jsonl:3",
                                        R"({"hris_id": "7", "first_name": "Ada", "last_name": "Lovelace",
                                   "email": "ada@example.com", "active": true, "departments": ["Eng > Core"],
                                   "manager": {"hris_id": "1"}})");
    ASSERT_EQ(snapshot.users.size(), 1u);
    EXPECT_EQ(user.origin.data(), snapshot.users[0].origin.data());  // a view of the user added
    EXPECT_EQ(user.origin, "people.jsonl:3");
    EXPECT_EQ(user.hris_id, "7");
    EXPECT_EQ(user.departments, std::vector<std::string>{"Eng > Core"});
    EXPECT_EQ(user.manager_hris_id, "1");
    EXPECT_TRUE(snapshot.findings.empty()) << testing::describe(snapshot.findings);
}

TEST(AddUserJson, EveryProblemIsAFindingOnThatRecordNeverAnException) {
    Snapshot snapshot;
    add_user_json(snapshot, "a.jsonl:1", R"({"hris_id": "1", "first_name": "A", "last_name": "B",)");
    add_user_json(snapshot, "a.jsonl:2", R"(["not", "a", "user"])");
    add_user_json(snapshot, "a.jsonl:3", R"({"hris_id": 3, "first_name": "C", "last_name": "D", "email": "c@d.e"})");
    ASSERT_EQ(snapshot.users.size(), 3u);
    EXPECT_TRUE(has_error(snapshot, "a.jsonl:1", "malformed JSON at byte")) << testing::describe(snapshot.findings);
    EXPECT_TRUE(has_error(snapshot, "a.jsonl:2", "expected a user object, found an array"));
    EXPECT_TRUE(has_error(snapshot, "a.jsonl:3.hris_id", "expected a string, found a number"));
    EXPECT_TRUE(has_error(snapshot, "a.jsonl:3.active", "required field active is missing"));
    for (const auto& f : snapshot.findings) EXPECT_GE(f.record, 0) << f.location << ": " << f.message;
    EXPECT_EQ(snapshot.findings.front().record, 0);
    EXPECT_EQ(snapshot.findings.back().record, 2);
}

// A source of another format reports a line it cannot parse with one call,
// without making up a user: one invalid record, one finding at the line,
// (the differ then holds every removal: nobody knows whose line it was).
TEST(Unreadable, IsOneInvalidRecordWithItsOneFinding) {
    Snapshot snapshot;
    add_user_json(snapshot, "a.jsonl:1",
                  R"({"hris_id": "1", "first_name": "A", "last_name": "B", "email": "a@b.c", "active": true})");
    EXPECT_EQ(snapshot.unreadable("a.xml:2", "the element <person> is not closed"), 1);
    ASSERT_EQ(snapshot.users.size(), 2u);
    EXPECT_EQ(snapshot.users[1].origin, "a.xml:2");
    EXPECT_EQ(snapshot.users[1].hris_id, "");
    validate_records(snapshot);
    std::vector<std::string> about_line_2;
    for (const auto& f : snapshot.findings)
        if (f.record == 1) about_line_2.push_back(f.location + ": " + f.message);
    // Not "required field hris_id is missing" and the rest besides.
    EXPECT_EQ(about_line_2, std::vector<std::string>{"a.xml:2: the element <person> is not closed"});
}

TEST(TestingHelpers, MemoryHostKeepsEverythingInMemory) {
    testing::MemoryHost host("/data/base", "hr");
    host.log().warning("careful");
    host.state().put("cursor", "42");
    EXPECT_EQ(host.log_lines, std::vector<std::string>{"warning: careful"});
    EXPECT_EQ(host.values.at("cursor"), "42");
    EXPECT_EQ(host.state().get("cursor"), "42");
    host.state().erase("cursor");
    EXPECT_FALSE(host.state().get("cursor"));
    // In the platform's own spelling: backslashes on Windows, where a path
    // with a drive letter is absolute and one without is on the base's drive.
    const auto native = [](const char* p) { return std::filesystem::path(p).make_preferred().string(); };
    EXPECT_EQ(host.resolve_path("x/people.jsonl"), native("/data/base/x/people.jsonl"));
    EXPECT_EQ(host.resolve_path("/abs.jsonl"), native("/abs.jsonl"));
#if defined(_WIN32)
    EXPECT_EQ(host.resolve_path("D:/exports/people.jsonl"), "D:\\exports\\people.jsonl");
    EXPECT_EQ(host.resolve_path("x\\..\\people.jsonl"), "\\data\\base\\people.jsonl");
#endif
    EXPECT_EQ(host.pipeline(), "hr");
    host.clock = 5;
    EXPECT_EQ(host.now(), 5);
}

TEST(TestingHelpers, ReadsASourceFromItsFileAndValidatesWhatItRead) {
    auto dir = std::filesystem::temp_directory_path() / ("peoplesync-sdk-testing-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "people.json")
        << R"({"users": [{"hris_id": "1", "first_name": "A", "last_name": "B", "email": "a@", "active": true}]})";
    testing::MemoryHost host(dir.string());
    auto plugin = testing::PluginFile::load(fixtures + "/json/fixture-json-file-source" PEOPLESYNC_PLUGIN_SUFFIX);
    EXPECT_EQ(plugin.info().type, "json-file");
    auto source = plugin.make_source(testing::options({{"path", "people.json"}}), host);
    Snapshot snapshot = testing::read_and_validate(*source);
    ASSERT_EQ(snapshot.users.size(), 1u);
    EXPECT_TRUE(has_error(snapshot, "users[0].email", "not an email address")) << testing::describe(snapshot.findings);
    EXPECT_NE(testing::describe(snapshot.findings).find("error: users[0].email: "), std::string::npos);
    source.reset();
    std::filesystem::remove_all(dir);
}

TEST(TestingHelpers, ChecksTheOptionTableBeforeConstructing) {
    testing::MemoryHost host;
    auto plugin = testing::PluginFile::load(fixtures + "/json/fixture-json-file-source" PEOPLESYNC_PLUGIN_SUFFIX);
    try {
        plugin.make_source(testing::options({{"pth", "x"}}), host);
        FAIL() << "an unknown option was accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("test options: pth: unknown option \"pth\""), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(plugin.make_sink(testing::options({{"path", "x"}}), host), Error);
}

TEST(TestingHelpers, RefusesAPluginOfAnotherAbiOrStandardLibraryAsTheDaemonWould) {
    try {
        testing::PluginFile::load(fixtures + "/bad-abi/fixture-bad-abi" PEOPLESYNC_PLUGIN_SUFFIX);
        FAIL() << "a plugin of another ABI was loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("built for ABI " + std::to_string(PEOPLESYNC_ABI_VERSION + 998)),
                  std::string::npos)
            << e.what();
    }
    try {
        testing::PluginFile::load(fixtures + "/foreign-stdlib/fixture-foreign-stdlib" PEOPLESYNC_PLUGIN_SUFFIX);
        FAIL() << "a plugin of another standard library was loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("libc++-17, but this SDK is ABI"), std::string::npos) << e.what();
    }
    EXPECT_THROW(testing::PluginFile::load(fixtures + "/not-a-plugin/fixture-not-a-plugin" PEOPLESYNC_PLUGIN_SUFFIX),
                 Error);
}

}  // namespace
}  // namespace peoplesync
