// Tests the built plugin file as peoplesync loads it, with the SDK's test
// helpers; no test framework needed.
#include <iostream>

#include <peoplesync/testing.hpp>

namespace testing = peoplesync::testing;

namespace {

int failures = 0;

void check(bool ok, const std::string& what, const std::string& detail = {}) {
    if (ok) return;
    ++failures;
    std::cerr << "FAILED: " << what << "\n" << detail;
}

bool has_finding(const peoplesync::Snapshot& s, const std::string& location, const std::string& message) {
    for (const auto& f : s.findings)
        if (f.location == location && f.message.find(message) != std::string::npos) return true;
    return false;
}

}  // namespace

int main() {
    testing::MemoryHost host(TEST_DATA_DIR);
    const auto plugin = testing::PluginFile::load(PLUGIN_FILE);
    check(plugin.info().type == "jsonl", "the plugin's type is jsonl");

    // Every line of a good file is a user; blank lines are skipped.
    auto good = plugin.make_source(testing::options({{"path", "../example/people.jsonl"}}), host);
    peoplesync::Snapshot people = testing::read_and_validate(*good);
    check(people.users.size() == 3, "three people are read", testing::describe(people.findings));
    check(people.findings.empty(), "a good file has no findings", testing::describe(people.findings));
    check(people.users.size() == 3 && people.users[2].origin == "people.jsonl:4", "a user's place is file:line");

    // Each bad line is a finding that names it; the good lines are still read.
    auto mixed = plugin.make_source(testing::options({{"path", "mixed.jsonl"}}), host);
    peoplesync::Snapshot snapshot = testing::read_and_validate(*mixed);
    const std::string found = testing::describe(snapshot.findings);
    check(snapshot.users.size() == 4, "four lines are four records", found);
    check(has_finding(snapshot, "mixed.jsonl:2.email", "not an email address"), "a bad email is located", found);
    check(has_finding(snapshot, "mixed.jsonl:4", "malformed JSON"), "a broken line is located", found);
    check(has_finding(snapshot, "mixed.jsonl:5.last_name", "required field last_name"), "a missing field", found);
    check(has_finding(snapshot, "mixed.jsonl:5.active", "expected true or false"), "a wrong type", found);

    // A file that cannot be read fails the read as a whole.
    auto missing = plugin.make_source(testing::options({{"path", "missing.jsonl"}}), host);
    try {
        testing::read_and_validate(*missing);
        check(false, "a missing file throws");
    } catch (const peoplesync::Error& e) {
        check(std::string(e.what()).find("missing.jsonl: cannot be read") != std::string::npos, "the message",
              e.what());
    }

    // The option table is checked before the plugin is constructed.
    try {
        plugin.make_source(testing::options({{"path", "people.jsonl"}, {"paht", "x"}}), host);
        check(false, "an unknown option is refused");
    } catch (const peoplesync::ConfigError& e) {
        check(std::string(e.what()).find("paht: unknown option") != std::string::npos, "the message", e.what());
    }

    if (failures == 0) std::cout << "all jsonl source tests passed\n";
    return failures == 0 ? 0 : 1;
}
