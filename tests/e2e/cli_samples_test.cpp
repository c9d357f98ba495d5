// The CLI on the shipped samples, as the README shows it: test mode, enable,
// a live run, three people removed in normal and 1:1 mode, a bad email under
// reject, a refused edit of a synced field.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include "test_dir.hpp"

namespace {

using nlohmann::json;

struct Result {
    int status = -1;
    std::string out, err;
    json report() const { return json::parse(out); }
};

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-cli");
        // The shipped configuration; PEOPLESYNC_EXPORT points it at a copy of the sample export.
        std::filesystem::copy_file(PEOPLESYNC_SOURCE_DIR "/samples/employees.csv", dir_ / "employees.csv");
        std::ifstream in(PEOPLESYNC_SOURCE_DIR "/etc/peoplesync.yaml");
        std::stringstream text;
        text << in.rdbuf();
        config_ = text.str();
        write_config(config_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void write_config(const std::string& text) { std::ofstream(dir_ / "peoplesync.yaml") << text; }

    Result cli(std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", (dir_ / "peoplesync.yaml").string()});
        Poco::Pipe out, err;
        Poco::Process::Env env;
        env["PEOPLESYNC_VAR"] = (dir_ / "var").string();
        env["PEOPLESYNC_EXPORT"] = (dir_ / "employees.csv").string();
        auto handle = Poco::Process::launch(PEOPLESYNC_CLI, args, dir_.string(), nullptr, &out, &err, env);
        Poco::PipeInputStream out_stream(out), err_stream(err);
        Result result;
        Poco::StreamCopier::copyToString(out_stream, result.out);
        Poco::StreamCopier::copyToString(err_stream, result.err);
        result.status = handle.wait();
        return result;
    }

    // Drops the rows of these Worker IDs from the export.
    void remove_people(const std::vector<std::string>& ids) {
        std::ifstream in(dir_ / "employees.csv");
        std::string line, kept;
        while (std::getline(in, line)) {
            bool drop = false;
            for (const auto& id : ids) drop = drop || line.rfind(id + ",", 0) == 0;
            if (!drop) kept += line + "\n";
        }
        in.close();
        std::ofstream(dir_ / "employees.csv") << kept;
    }

    void replace_in_export(const std::string& from, const std::string& to) {
        std::ifstream in(dir_ / "employees.csv");
        std::stringstream text;
        text << in.rdbuf();
        in.close();
        std::string s = text.str();
        auto at = s.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        s.replace(at, from.size(), to);
        std::ofstream(dir_ / "employees.csv") << s;
    }

    std::filesystem::path dir_;
    std::string config_;
};

TEST_F(CliTest, TestModeThenEnableThenLive) {
    Result valid = cli({"validate"});
    ASSERT_EQ(valid.status, 0) << valid.err;

    Result first = cli({"run", "hr-csv", "--json"});
    ASSERT_EQ(first.status, 0) << first.err << first.out;
    json report = first.report();
    EXPECT_EQ(report["mode"], "test");
    EXPECT_EQ(report["status"], "simulated");
    EXPECT_EQ(report["changes"]["created"], 50);
    for (const char* key : {"created", "linked", "updated", "reactivated", "deactivated", "unsynced",
                            "departments_created", "memberships_added", "memberships_removed", "managers_changed"})
        EXPECT_TRUE(report["changes"].contains(key)) << key;
    EXPECT_EQ(cli({"directory", "show", "W-10001"}).status, 1);  // test mode applied nothing

    ASSERT_EQ(cli({"enable", "hr-csv"}).status, 0);
    Result live = cli({"run", "hr-csv", "--json"});
    ASSERT_EQ(live.status, 0) << live.err;
    EXPECT_EQ(live.report()["status"], "applied");
    EXPECT_EQ(live.report()["changes"]["created"], 50);
    EXPECT_GE(live.report()["changes"]["departments_created"], 20);

    Result again = cli({"run", "hr-csv", "--json"});
    EXPECT_EQ(again.report()["status"], "noop");

    Result show = cli({"directory", "show", "jose.alvarez@example.com"});
    EXPECT_EQ(show.status, 0) << show.err;
    EXPECT_NE(show.out.find("José Álvarez"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("manager       W-10001"), std::string::npos) << show.out;

    Result runs = cli({"runs", "--json"});
    EXPECT_EQ(json::parse(runs.out).size(), 3u);

    // The first (test-mode) run, simulated against today's directory: nothing to do.
    Result simulated = cli({"simulate", std::to_string(report["run"].get<int>()), "--json"});
    EXPECT_EQ(simulated.status, 0) << simulated.err;
    EXPECT_EQ(simulated.report()["changes"]["created"], 0);
}

TEST_F(CliTest, AnUnchangedExportIntoAnUnchangedDirectoryIsANoOpWithoutReading) {
    ASSERT_EQ(cli({"enable", "hr-csv"}).status, 0);
    ASSERT_EQ(cli({"run", "hr-csv", "--json"}).report()["status"], "applied");
    auto message = [](const Result& r) { return r.report().value("message", ""); };

    Result skipped = cli({"run", "hr-csv", "--json"});
    EXPECT_EQ(skipped.report()["status"], "noop");
    EXPECT_NE(message(skipped).find("unchanged since run 1"), std::string::npos) << skipped.out;
    EXPECT_EQ(skipped.report()["users"], 50);
    EXPECT_EQ(skipped.report()["unchanged_since_run"], 1);
    // Its snapshot is the one it did not read: it simulates like any run.
    Result simulated = cli({"simulate", std::to_string(skipped.report()["run"].get<int>()), "--json"});
    EXPECT_EQ(simulated.report()["status"], "simulated") << simulated.err;
    EXPECT_EQ(simulated.report()["users"], 50);
    EXPECT_EQ(simulated.report()["changes"]["updated"], 0);

    // --full reads, validates and diffs anyway.
    Result full = cli({"run", "hr-csv", "--full", "--json"});
    EXPECT_EQ(full.report()["status"], "noop");
    EXPECT_EQ(message(full).find("unchanged"), std::string::npos) << full.out;

    // An edit in the directory: the next run checks everything.
    Result edited = cli({"directory", "set", "W-10002", "phone_number", "+1 555"});
    ASSERT_EQ(edited.status, 0) << edited.err;
    Result after_edit = cli({"run", "hr-csv", "--json"});
    EXPECT_EQ(message(after_edit).find("unchanged"), std::string::npos) << after_edit.out;
    EXPECT_NE(message(cli({"run", "hr-csv", "--json"})).find("unchanged"), std::string::npos);

    // A changed export is read, whatever its size and date.
    replace_in_export("Chief Executive Officer", "Chief Executive Officer ");
    replace_in_export("VP Engineering", "VP Engineerinx");
    Result changed = cli({"run", "hr-csv", "--json"});
    EXPECT_EQ(changed.report()["status"], "applied") << changed.out;
    EXPECT_EQ(changed.report()["changes"]["updated"], 1);

    // full_resync_every_secs: 0 reads every time, and stays live (it is not
    // part of what the pipeline does).
    std::string text = config_;
    text.replace(text.find("  - name: hr-csv\n"), 17, "  - name: hr-csv\n    full_resync_every_secs: 0\n");
    write_config(text);
    Result always = cli({"run", "hr-csv", "--json"});
    EXPECT_EQ(always.report()["mode"], "live");
    EXPECT_EQ(message(always).find("unchanged"), std::string::npos) << always.out;
}

TEST_F(CliTest, ThreePeopleRemovedAreUnsyncedInNormalMode) {
    ASSERT_EQ(cli({"enable", "hr-csv"}).status, 0);
    ASSERT_EQ(cli({"run", "hr-csv"}).status, 0);
    remove_people({"W-10017", "W-10033", "W-10044"});  // Networking, Mobile Support, FP&A
    Result run = cli({"run", "hr-csv", "--json", "--detail"});
    ASSERT_EQ(run.status, 0) << run.err;
    json report = run.report();
    EXPECT_EQ(report["changes"]["unsynced"], 3);
    EXPECT_EQ(report["changes"]["deactivated"], 0);
    EXPECT_EQ(report["changes"]["memberships_removed"], 3);
    Result show = cli({"directory", "show", "W-10017"});
    EXPECT_NE(show.out.find("active        yes"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("synced        no"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("departments   \n"), std::string::npos) << show.out;  // left its synced department
}

TEST_F(CliTest, ThreePeopleRemovedAreDeactivatedInOneToOneMode) {
    write_config(std::regex_replace(config_, std::regex("mode: normal"), "mode: one_to_one"));
    ASSERT_EQ(cli({"enable", "hr-csv"}).status, 0);
    ASSERT_EQ(cli({"run", "hr-csv"}).status, 0);
    remove_people({"W-10017", "W-10033", "W-10044"});
    Result run = cli({"run", "hr-csv", "--json"});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.report()["changes"]["unsynced"], 3);
    EXPECT_EQ(run.report()["changes"]["deactivated"], 3);
    EXPECT_NE(cli({"directory", "show", "W-10033"}).out.find("active        no"), std::string::npos);
}

TEST_F(CliTest, ABadEmailUnderRejectChangesNothingAndSaysWhere) {
    ASSERT_EQ(cli({"enable", "hr-csv"}).status, 0);
    ASSERT_EQ(cli({"run", "hr-csv"}).status, 0);
    replace_in_export("hiroshi.tanaka@example.com", "hiroshi.tanaka@");
    replace_in_export("Chief Executive Officer", "Chief Executive");
    Result run = cli({"run", "hr-csv"});
    EXPECT_EQ(run.status, 3) << run.out << run.err;
    EXPECT_NE(run.out.find("rejected"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("employees.csv:14 column \"Work Email\": \"hiroshi.tanaka@\" is not an email address"),
              std::string::npos)
        << run.out;
    EXPECT_NE(cli({"directory", "show", "W-10001"}).out.find("Chief Executive Officer"), std::string::npos);
}

TEST_F(CliTest, ASyncedFieldCannotBeEditedInTheDirectory) {
    ASSERT_EQ(cli({"enable", "hr-csv"}).status, 0);
    ASSERT_EQ(cli({"run", "hr-csv"}).status, 0);
    Result edit = cli({"directory", "set", "W-10002", "job_title", "Head of Engineering"});
    EXPECT_EQ(edit.status, 1);
    EXPECT_NE(edit.err.find("job_title of W-10002 is synced from the HRIS and read-only"), std::string::npos)
        << edit.err;
    Result unsettable = cli({"directory", "set", "W-10002", "profile_image", "x"});
    EXPECT_EQ(unsettable.status, 1);  // not a settable field
    // The shipped configuration leaves phone_number to the directory, as
    // plugins/sink-directory/README.md shows.
    Result allowed = cli({"directory", "set", "W-10002", "phone_number", "+1 415-555-0199"});
    EXPECT_EQ(allowed.status, 0) << allowed.err;
    EXPECT_NE(cli({"directory", "show", "W-10002"}).out.find("+1 415-555-0199"), std::string::npos);
}

TEST_F(CliTest, TheDeletionGuardBlocksAndApproveAppliesWithExitCodes) {
    ASSERT_EQ(cli({"enable", "hr-csv"}).status, 0);
    ASSERT_EQ(cli({"run", "hr-csv"}).status, 0);
    std::ofstream(dir_ / "employees.csv")
        << "Worker ID,Employee No,First Name,Last Name,Work Email,Job Title,Department,Manager Employee No,"
           "Employment Status,Hire Date,Work Phone\n";
    Result blocked = cli({"run", "hr-csv", "--json"});
    EXPECT_EQ(blocked.status, 4) << blocked.out;
    EXPECT_EQ(blocked.report()["status"], "blocked");
    Result approved = cli({"approve", std::to_string(blocked.report()["run"].get<int>()), "--json"});
    EXPECT_EQ(approved.status, 0) << approved.err;
    EXPECT_EQ(approved.report()["changes"]["unsynced"], 50);
}

TEST_F(CliTest, ConfigurationErrorsExitWithTwoAndSayWhere) {
    write_config(config_ + "    shedule: every 1h\n");
    Result run = cli({"run", "hr-csv"});
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(run.err.find("peoplesync.yaml:"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("unknown option \"shedule\""), std::string::npos) << run.err;
    EXPECT_EQ(cli({"frobnicate"}).status, 2);
}

}  // namespace
