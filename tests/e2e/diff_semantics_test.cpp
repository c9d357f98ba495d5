// What a run changes and what its report says, through the CLI on a real CSV
// export and the real directory: an identical export changes nothing, even
// after an hris_id rename, however the run read it; a removed membership is
// counted, listed and audited once; a run that reads nothing still shows
// the records it stands on quarantining.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_dir.hpp"

namespace {

using namespace Poco::Data::Keywords;
using nlohmann::json;

struct Result {
    int status = -1;
    std::string out, err;
    json report() const { return json::parse(out); }
};

struct Person {
    std::string hris_id, email, departments, manager;
};

// Ten people: A1 runs the company, B2 reports to A1, the rest to B2. Ten, so
// that one changed row is few enough for a run to read only what changed.
std::vector<Person> company() {
    std::vector<Person> people = {{"A1", "ann@example.com", "Eng", ""}, {"B2", "bob@example.com", "Eng", "A1"}};
    for (int i = 3; i <= 10; ++i)
        people.push_back({"P" + std::to_string(i), "p" + std::to_string(i) + "@example.com", "Eng", "B2"});
    return people;
}

Person& person(std::vector<Person>& people, const std::string& hris_id) {
    for (auto& p : people)
        if (p.hris_id == hris_id) return p;
    throw std::runtime_error("no person " + hris_id);
}

class DiffSemanticsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-diff-semantics");
        Poco::Data::SQLite::Connector::registerConnector();
        configure("reject");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void configure(const std::string& on_invalid) {
        std::ofstream(dir_ / "peoplesync.yaml") << "state_database: var/state.db\n"
                                                   "pipelines:\n"
                                                   "  - name: people\n"
                                                   "    source: {type: csv, path: people.csv}\n"
                                                   "    sync:\n"
                                                   "      on_invalid: "
                                                << on_invalid
                                                << "\n"
                                                   "      fields: [departments, manager]\n"
                                                   "    sinks:\n"
                                                   "      - {type: directory, database: var/directory.db}\n";
    }

    void export_people(const std::vector<Person>& people) {
        std::ofstream csv(dir_ / "people.csv");
        csv << "hris_id,first_name,last_name,email,departments,manager\n";
        for (const auto& p : people)
            csv << p.hris_id << ",First,Last " << p.hris_id << "," << p.email << "," << p.departments << ","
                << p.manager << "\n";
    }

    Result cli(std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", (dir_ / "peoplesync.yaml").string()});
        Poco::Pipe out, err;
        auto handle = Poco::Process::launch(PEOPLESYNC_CLI, args, dir_.string(), nullptr, &out, &err);
        Poco::PipeInputStream out_stream(out), err_stream(err);
        Result result;
        Poco::StreamCopier::copyToString(out_stream, result.out);
        Poco::StreamCopier::copyToString(err_stream, result.err);
        result.status = handle.wait();
        return result;
    }

    json run(std::vector<std::string> flags = {}) {
        std::vector<std::string> args = {"run", "people", "--json", "--detail"};
        args.insert(args.end(), flags.begin(), flags.end());
        Result result = cli(args);
        EXPECT_EQ(result.status, 0) << result.out << result.err;
        return result.report();
    }

    void go_live(const std::vector<Person>& people) {
        export_people(people);
        ASSERT_EQ(cli({"enable", "people"}).status, 0);
        const json first = run();
        ASSERT_EQ(first["status"], "applied") << first.dump(2);
    }

    Poco::Data::Session directory() { return Poco::Data::Session("SQLite", (dir_ / "var/directory.db").string()); }

    // Every user's manager, by hris_id ("" for none).
    std::map<std::string, std::string> managers() {
        std::vector<Poco::Tuple<std::string, std::string>> rows;
        auto db = directory();
        db << "SELECT COALESCE(u.hris_id, '#' || u.id), COALESCE(m.hris_id, '') FROM users u "
              "LEFT JOIN users m ON m.id = u.manager_id",
            into(rows), now;
        std::map<std::string, std::string> out;
        for (const auto& r : rows) out[r.get<0>()] = r.get<1>();
        return out;
    }

    static bool has_warning(const json& report, const std::string& fragment) {
        for (const auto& f : report["findings"])
            if (f["severity"] == "warning" && f["message"].get<std::string>().find(fragment) != std::string::npos)
                return true;
        return false;
    }

    std::filesystem::path dir_;
};

std::int64_t total(const json& changes) {
    std::int64_t sum = 0;
    for (const auto& [name, count] : changes.items()) sum += count.get<std::int64_t>();
    return sum;
}

// Export 2 renames A1 (same email, linked by it) while B2's row still names
// the old id: A1 no longer answers to it once the run applies, so B2's
// manager is unset with a warning the first time, and a full run of the same
// export changes nothing.
TEST_F(DiffSemanticsTest, AManagerCitedByTheOldIdOfARenamedUserResolvesAsAfterTheRun) {
    go_live(company());
    std::vector<Person> renamed = company();
    person(renamed, "A1").hris_id = "A1-NEW";
    export_people(renamed);

    const json report = run({"--full"});
    EXPECT_EQ(report["status"], "applied") << report.dump(2);
    EXPECT_EQ(report["changes"]["linked"], 1) << report.dump(2);
    EXPECT_EQ(report["changes"]["managers_changed"], 1) << report.dump(2);
    ASSERT_EQ(report["findings"].size(), 1u) << report.dump(2);
    EXPECT_EQ(report["findings"][0]["location"], "people.csv:3 column \"manager\"");
    EXPECT_TRUE(has_warning(report,
                            "manager \"A1\" is neither in the snapshot nor in the destination: the destination's "
                            "\"A1\" becomes \"A1-NEW\" in this run"))
        << report.dump(2);
    EXPECT_EQ(managers()["B2"], "");
    EXPECT_EQ(managers()["P3"], "B2");

    const json again = run({"--full"});
    EXPECT_EQ(again["status"], "noop") << again.dump(2);
    EXPECT_EQ(total(again["changes"]), 0) << again.dump(2);
    ASSERT_EQ(again["findings"].size(), 1u) << again.dump(2);
    EXPECT_EQ(again["findings"][0]["location"], report["findings"][0]["location"]);
    EXPECT_TRUE(has_warning(again, "manager \"A1\" is neither in the snapshot nor in the destination"));
    EXPECT_EQ(managers()["B2"], "");
}

// The same rename when the run could read only the changed row (A1's): B2's
// row is not read, so the run reads everything and ends as a full run does.
TEST_F(DiffSemanticsTest, AChangeOnlyRunEndsAsAFullRunWhenAnUnreadRecordCitesARenamedId) {
    go_live(company());
    std::vector<Person> renamed = company();
    person(renamed, "A1").hris_id = "A1-NEW";
    export_people(renamed);

    const json report = run();
    EXPECT_EQ(report["status"], "applied") << report.dump(2);
    EXPECT_FALSE(report.contains("change_only")) << report.dump(2);
    EXPECT_EQ(report["changes"]["managers_changed"], 1) << report.dump(2);
    EXPECT_TRUE(has_warning(report, "manager \"A1\" is neither")) << report.dump(2);
    EXPECT_EQ(managers()["B2"], "");

    const json again = run({"--full"});
    EXPECT_EQ(again["status"], "noop") << again.dump(2);
    EXPECT_EQ(total(again["changes"]), 0) << again.dump(2);
}

// A rename whose reports follow it is a clean change-only run.
TEST_F(DiffSemanticsTest, ARenameWhoseReportsFollowItStaysChangeOnly) {
    go_live(company());
    std::vector<Person> renamed = company();
    person(renamed, "A1").hris_id = "A1-NEW";
    person(renamed, "B2").manager = "A1-NEW";
    export_people(renamed);

    const json report = run();
    EXPECT_EQ(report["status"], "applied") << report.dump(2);
    EXPECT_EQ(report["change_only"]["records_read"], 2) << report.dump(2);
    EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
    EXPECT_EQ(managers()["B2"], "A1-NEW");
    EXPECT_EQ(total(run({"--full"})["changes"]), 0);
}

// The reverse: A1 is renamed and a newcomer takes the old id in the same
// export. B2's manager is the newcomer, before and after the run alike.
TEST_F(DiffSemanticsTest, AnOldIdAnotherPersonTakesIsThatPersonsId) {
    go_live(company());
    std::vector<Person> people = company();
    person(people, "A1").hris_id = "A1-NEW";
    people.push_back({"A1", "carl@example.com", "Eng", "A1-NEW"});
    export_people(people);

    const json report = run({"--full"});
    EXPECT_EQ(report["status"], "applied") << report.dump(2);
    EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
    EXPECT_EQ(managers()["B2"], "A1");
    EXPECT_EQ(managers()["A1"], "A1-NEW");

    const json again = run({"--full"});
    EXPECT_EQ(again["status"], "noop") << again.dump(2);
    EXPECT_EQ(total(again["changes"]), 0) << again.dump(2);
}

// Ops, made in the directory with a member of its own, is adopted when A1's
// row names it: the member leaves it, counted, listed and audited once.
TEST_F(DiffSemanticsTest, AnAdoptedDepartmentsForeignMemberIsRemovedOnce) {
    go_live({{"A1", "ann@example.com", "Eng", ""}, {"B2", "bob@example.com", "Eng", "A1"}});
    {
        auto db = directory();
        db << "INSERT INTO users(id, email, first_name) VALUES(90, 'hand@example.com', 'Hand')", now;
        db << "INSERT INTO departments(id, parent_id, name, synced) VALUES(500, 0, 'Ops', 0)", now;
        db << "INSERT INTO memberships(user_id, department_id) VALUES(90, 500)", now;
    }
    export_people({{"A1", "ann@example.com", "Eng|Ops", ""}, {"B2", "bob@example.com", "Eng", "A1"}});

    const json report = run();
    ASSERT_EQ(report["status"], "applied") << report.dump(2);
    EXPECT_EQ(report["changes"]["memberships_removed"], 1) << report.dump(2);
    EXPECT_EQ(report["changes"]["memberships_added"], 1) << report.dump(2);
    const json& detail = report["sinks"][0]["detail"];
    EXPECT_EQ(detail["departments_adopted"], json::array({"Ops"}));
    EXPECT_EQ(detail["memberships_removed"], json::parse(R"([{"hris_id": "", "department": "Ops"}])"));
    Poco::Int64 audited = 0, members = 0;
    auto db = directory();
    db << "SELECT COUNT(*) FROM audit_log WHERE run_id = ? AND action = 'membership_removed'",
        bind(report["run"].get<Poco::Int64>()), into(audited), now;
    db << "SELECT COUNT(*) FROM memberships WHERE department_id = 500", into(members), now;
    EXPECT_EQ(audited, 1);
    EXPECT_EQ(members, 1);  // A1
}

// Under on_invalid: skip, a run that finds the export and the directory as
// the last run left them reads nothing, and still shows that run's findings
// and how many records stay quarantined: P5's invalid row, and P6's, whose
// new email a user the directory made keeps.
TEST_F(DiffSemanticsTest, AnUnchangedRunCarriesTheFindingsOfTheRunItStandsOn) {
    configure("skip");
    go_live(company());
    directory() << "INSERT INTO users(id, email, first_name) VALUES(90, 'hand@example.com', 'Hand')", now;
    std::vector<Person> people = company();
    person(people, "P5").email = "not-an-email";
    person(people, "P6").email = "hand@example.com";
    export_people(people);

    const json quarantining = run();
    ASSERT_EQ(quarantining["status"], "noop") << quarantining.dump(2);
    ASSERT_EQ(quarantining["findings"].size(), 2u) << quarantining.dump(2);
    EXPECT_EQ(quarantining["quarantined"], 2) << quarantining.dump(2);

    const json unchanged = run();
    EXPECT_EQ(unchanged["unchanged_since_run"], quarantining["run"]) << unchanged.dump(2);
    EXPECT_EQ(unchanged["findings"], quarantining["findings"]) << unchanged.dump(2);
    EXPECT_EQ(unchanged["quarantined"], 2) << unchanged.dump(2);
    Result shown = cli({"show", std::to_string(unchanged["run"].get<int>()), "--json"});
    EXPECT_EQ(json::parse(shown.out)["findings"], quarantining["findings"]) << shown.out;

    Result text = cli({"run", "people"});
    EXPECT_EQ(text.status, 0) << text.out << text.err;
    EXPECT_NE(text.out.find("unchanged since run " + std::to_string(quarantining["run"].get<int>())), std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("2 records quarantined"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("error: people.csv:6 column \"email\""), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("error: people.csv:7 column \"email\""), std::string::npos) << text.out;
}

}  // namespace
