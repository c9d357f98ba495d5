// The CLI's arguments: every command `peoplesync --help` lists has a help of
// its own that names its options; an unknown option, another command's
// option, a missing value or an argument too many is a usage error (exit 2)
// that names it, before anything runs.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include "test_dir.hpp"

namespace {

using nlohmann::json;

struct Result {
    int status = -1;
    std::string out, err;
};

class CliArgumentsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-cli-arguments");
        // The shipped configuration, so that a command the parser let through would run.
        std::filesystem::copy_file(PEOPLESYNC_SOURCE_DIR "/samples/employees.csv", dir_ / "employees.csv");
        std::filesystem::copy_file(PEOPLESYNC_SOURCE_DIR "/etc/peoplesync.yaml", dir_ / "peoplesync.yaml");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // The CLI as it is called, without a --config of the test's.
    Result raw(const std::vector<std::string>& args) {
        Poco::Pipe out, err;
        Poco::Process::Env env;
        env["PEOPLESYNC_VAR"] = (dir_ / "var").string();
        env["PEOPLESYNC_EXPORT"] = (dir_ / "employees.csv").string();
        env["PEOPLESYNC_CONFIG"] = (dir_ / "peoplesync.yaml").string();
        auto handle = Poco::Process::launch(PEOPLESYNC_CLI, args, dir_.string(), nullptr, &out, &err, env);
        Poco::PipeInputStream out_stream(out), err_stream(err);
        Result result;
        Poco::StreamCopier::copyToString(out_stream, result.out);
        Poco::StreamCopier::copyToString(err_stream, result.err);
        result.status = handle.wait();
        return result;
    }

    // How many runs the state database holds: a refused command ran none.
    std::size_t runs() {
        Result listed = raw({"runs", "--json"});
        EXPECT_EQ(listed.status, 0) << listed.err;
        return json::parse(listed.out).size();
    }

    std::filesystem::path dir_;
};

// The commands of `peoplesync --help`, each with the options its lines show.
std::map<std::string, std::set<std::string>> listed_commands(const std::string& help) {
    std::map<std::string, std::set<std::string>> commands;
    std::istringstream lines(help);
    std::string line;
    bool in_list = false;
    const std::regex command_line("^  ([a-z][a-z-]*)\\b(.*)$"), option("--[a-z][a-z-]*");
    while (std::getline(lines, line)) {
        if (line == "Commands:") {
            in_list = true;
            continue;
        }
        if (!in_list) continue;
        if (line.empty()) break;
        std::smatch match;
        if (!std::regex_match(line, match, command_line)) continue;  // a summary's second line
        auto& options = commands[match[1]];
        // Only the usage part: the summary may mention options of other commands.
        const std::string usage = match[2].str().substr(0, match[2].str().find("  "));
        for (std::sregex_iterator it(usage.begin(), usage.end(), option), end; it != end; ++it)
            options.insert(it->str());
    }
    return commands;
}

TEST_F(CliArgumentsTest, EveryCommandHasItsOwnHelpNamingItsOptions) {
    Result overview = raw({"--help"});
    ASSERT_EQ(overview.status, 0) << overview.err;
    const auto commands = listed_commands(overview.out);
    for (const char* expected : {"validate", "run", "simulate", "runs", "outbox", "directory", "console-password"})
        EXPECT_TRUE(commands.count(expected)) << expected << " is not listed in:\n" << overview.out;
    EXPECT_TRUE(commands.at("run").count("--dry-run")) << overview.out;

    for (const auto& [command, options] : commands) {
        // Help needs no configuration: this one does not exist.
        Result help = raw({"--config", (dir_ / "missing.yaml").string(), command, "--help"});
        EXPECT_EQ(help.status, 0) << command << ": " << help.err;
        EXPECT_NE(help.out.find("usage: peoplesync " + command), std::string::npos) << command << ":\n" << help.out;
        for (const auto& name : options)
            EXPECT_NE(help.out.find(name), std::string::npos) << command << " --help does not name " << name << ":\n"
                                                              << help.out;
        Result same = raw({"help", command});
        EXPECT_EQ(same.status, 0) << command << ": " << same.err;
        EXPECT_EQ(same.out, help.out) << command;
    }
    Result unknown = raw({"help", "frobnicate"});
    EXPECT_EQ(unknown.status, 2);
    EXPECT_NE(unknown.err.find("unknown command \"frobnicate\""), std::string::npos) << unknown.err;
}

TEST_F(CliArgumentsTest, NoCommandListsTheCommandsAndExitsTwo) {
    Result none = raw({});
    EXPECT_EQ(none.status, 2);
    EXPECT_NE(none.out.find("Commands:"), std::string::npos) << none.out;
}

TEST_F(CliArgumentsTest, UnknownOptionIsAUsageErrorNamingIt) {
    Result run = raw({"run", "hr-csv", "--bogus"});
    EXPECT_EQ(run.status, 2) << run.out;
    EXPECT_NE(run.err.find("unknown option \"--bogus\""), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("peoplesync run --help"), std::string::npos) << run.err;

    // An option of another command, and one abbreviated: refused alike.
    Result other = raw({"run", "hr-csv", "--limit", "3"});
    EXPECT_EQ(other.status, 2) << other.out;
    EXPECT_NE(other.err.find("\"--limit\""), std::string::npos) << other.err;
    Result abbreviated = raw({"run", "hr-csv", "--dry"});
    EXPECT_EQ(abbreviated.status, 2) << abbreviated.out;
    EXPECT_NE(abbreviated.err.find("\"--dry\""), std::string::npos) << abbreviated.err;
    Result short_option = raw({"run", "hr-csv", "-x"});
    EXPECT_EQ(short_option.status, 2) << short_option.out;
    EXPECT_NE(short_option.err.find("\"-x\""), std::string::npos) << short_option.err;
    Result with_value = raw({"run", "hr-csv", "--json=yes"});
    EXPECT_EQ(with_value.status, 2) << with_value.out;
    EXPECT_NE(with_value.err.find("--json"), std::string::npos) << with_value.err;
    EXPECT_EQ(runs(), 0u);
}

TEST_F(CliArgumentsTest, ArgumentTooManyIsAUsageError) {
    Result run = raw({"run", "hr-csv", "extra"});
    EXPECT_EQ(run.status, 2) << run.out;
    EXPECT_NE(run.err.find("\"extra\""), std::string::npos) << run.err;
    Result status = raw({"status", "hr-csv"});
    EXPECT_EQ(status.status, 2) << status.out;
    EXPECT_NE(status.err.find("\"hr-csv\""), std::string::npos) << status.err;
    EXPECT_EQ(runs(), 0u);
}

TEST_F(CliArgumentsTest, MissingOrBadValueIsAUsageErrorNamingIt) {
    Result limit = raw({"runs", "--limit"});
    EXPECT_EQ(limit.status, 2);
    EXPECT_NE(limit.err.find("--limit needs a value"), std::string::npos) << limit.err;
    Result config = raw({"status", "-c"});
    EXPECT_EQ(config.status, 2);
    EXPECT_NE(config.err.find("-c needs a value"), std::string::npos) << config.err;
    Result zero = raw({"requests", "--limit", "0"});
    EXPECT_EQ(zero.status, 2);
    EXPECT_NE(zero.err.find("--limit must be a positive number, not \"0\""), std::string::npos) << zero.err;
}

TEST_F(CliArgumentsTest, OptionsTakeTheirPlaceBeforeOrAfterTheCommand) {
    // Global options go anywhere, with their value apart or after "=";
    // a command's options after the command.
    Result listed = raw({"runs", "--config=" + (dir_ / "peoplesync.yaml").string(), "--limit", "5", "--json"});
    EXPECT_EQ(listed.status, 0) << listed.err;
    EXPECT_EQ(listed.out, "[]\n");
    Result before = raw({"--json", "runs"});
    EXPECT_EQ(before.status, 2);
    EXPECT_NE(before.err.find("\"--json\""), std::string::npos) << before.err;
    Result ran = raw({"-c", (dir_ / "peoplesync.yaml").string(), "run", "--dry-run", "hr-csv", "--local"});
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_EQ(runs(), 1u);
}

}  // namespace
