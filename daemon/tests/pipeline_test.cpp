// The pipeline's semantics (docs/design.md §2) end to end: a real source plugin
// reading a snapshot file, a real directory sink (the SQLite file, or the
// PostgreSQL schema: directory_under_test.hpp), the real state store.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "differ.hpp"
#include "directory_under_test.hpp"
#include "pipeline.hpp"
#include "report.hpp"
#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync::core {
namespace {

using namespace Poco::Data::Keywords;
using nlohmann::json;

struct Person {
    std::string hris_id;
    std::string email;
    std::vector<std::string> departments;
    std::string manager;
    std::string job_title = "Engineer";
    bool active = true;
    std::string first_name = "First";
};

// A small organisation: A runs it, B runs Platform with C and D, E sells.
// A policy that syncs every field of the schema.
SyncPolicy syncing_every_field() {
    SyncPolicy policy;
    for (auto f : all_fields()) policy.fields.emplace_back(f);
    return policy;
}

std::vector<Person> org() {
    return {{"A", "a@example.com", {"Exec"}, "", "CEO"},
            {"B", "b@example.com", {"Eng > Platform"}, "A", "Director"},
            {"C", "c@example.com", {"Eng > Platform"}, "B"},
            {"D", "d@example.com", {"Eng > Platform"}, "B"},
            {"E", "e@example.com", {"Sales"}, "A", "Seller"}};
}

std::vector<Person> without(std::vector<Person> people, const std::set<std::string>& ids) {
    std::erase_if(people, [&](const Person& p) { return ids.count(p.hris_id) > 0; });
    return people;
}

Person& person(std::vector<Person>& people, const std::string& id) {
    for (auto& p : people)
        if (p.hris_id == id) return p;
    throw std::runtime_error("no person " + id);
}

std::string snapshot_json(const std::vector<Person>& people) {
    json users = json::array();
    for (const auto& p : people) {
        json u = {{"hris_id", p.hris_id},
                  {"first_name", p.first_name},
                  {"last_name", "Last " + p.hris_id},
                  {"email", p.email},
                  {"active", p.active},
                  {"job_title", p.job_title},
                  {"departments", p.departments}};
        if (!p.manager.empty()) u["manager"] = {{"hris_id", p.manager}};
        users.push_back(u);
    }
    return json({{"users", users}}).dump(2);
}

class NoProgress final : public ProgressListener {};

class PipelineTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = peoplesync::testing::fresh_test_dir("peoplesync-pipeline");
        directory_ = std::make_unique<testing::DirectoryUnderTest>(dir_);
        configure();
    }

    void TearDown() override {
        pipeline_.reset();
        state_.reset();
        directory_.reset();
        std::filesystem::remove_all(dir_);
    }

    // (Re)writes the configuration and builds the pipeline from it, as a
    // restarted daemon would.
    void configure(const std::string& sync = "", const std::string& source_extra = "", const std::string& top = "") {
        pipeline_.reset();
        state_.reset();
        std::ofstream(dir_ / "peoplesync.yaml")
            << "plugin_dirs: [" << default_plugin_dir().string() << ", " << PEOPLESYNC_FIXTURE_PLUGIN_DIR << "/json]\n"
            << "state_database: state.db\n"
            << top << "pipelines:\n"
            << "  - name: people\n"
            << "    source: {type: json-file, path: snapshot.json" << source_extra << "}\n"
            << (sync.empty() ? "" : "    sync:\n" + sync) << "    sinks:\n"
            << "      - " << directory_->sink_yaml() << "\n";
        settings_ = load_settings(dir_ / "peoplesync.yaml");
        plugins_ = std::make_unique<PluginHost>(settings_.plugin_dirs);
        state_ = std::make_unique<StateStore>(settings_.state_database);
        pipeline_ = std::make_unique<Pipeline>(settings_, settings_.pipelines[0], *plugins_, *state_);
    }

    RunReport run(const std::vector<Person>& people, RunRequest request = {}) {
        return run_json(snapshot_json(people), request);
    }

    RunReport run_json(const std::string& text, RunRequest request = {}) {
        std::ofstream(dir_ / "snapshot.json") << text;
        return pipeline_->run(request, progress_);
    }

    // Enables the pipeline and applies the organisation.
    RunReport go_live(const std::vector<Person>& people = org()) {
        pipeline_->enable();
        RunReport report = run(people);
        EXPECT_EQ(report.status, RunStatus::applied) << dump(report);
        return report;
    }

    static std::string dump(const RunReport& report) { return report_json(report, true).dump(2); }

    Poco::Data::Session db() { return directory_->session(); }

    // Portable SQL (both databases take it).
    void sql(const std::string& statement) {
        auto s = db();
        s << statement, now;
    }

    // A directory that exists before the pipeline's first run: in SQLite, a
    // table made by hand (`sqlite_table`); in PostgreSQL, the sink's schema.
    void existing_directory(const std::string& sqlite_table) {
        if (testing::DirectoryUnderTest::postgres)
            pipeline_->sink("directory").load_index();
        else
            sql(sqlite_table);
    }

    struct Row {
        std::string email, job_title, manager, first_name;
        bool active = false, synced = false;
        std::int64_t id = 0;
    };

    std::map<std::string, Row> users() {
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, int, int, std::string, std::string>>
            rows;
        auto s = db();
        s << "SELECT u.id, COALESCE(u.hris_id, '#' || u.id), u.email, u.job_title, CAST(u.active AS INTEGER), "
             "CAST(u.synced AS INTEGER), "
             "COALESCE(m.hris_id, ''), u.first_name FROM users u LEFT JOIN users m ON m.id = u.manager_id",
            into(rows), now;
        std::map<std::string, Row> out;
        for (const auto& r : rows)
            out[r.get<1>()] = {r.get<2>(),      r.get<3>(),      r.get<6>(), r.get<7>(),
                               r.get<4>() != 0, r.get<5>() != 0, r.get<0>()};
        return out;
    }

    // "hris_id: path" for every membership, paths written out.
    std::set<std::string> memberships() {
        std::vector<Poco::Tuple<std::string, std::string>> rows;
        auto s = db();
        s << "WITH RECURSIVE paths(id, path) AS ("
             " SELECT id, name FROM departments WHERE parent_id = 0"
             " UNION ALL SELECT d.id, p.path || ' > ' || d.name FROM departments d JOIN paths p ON d.parent_id = p.id)"
             " SELECT COALESCE(u.hris_id, '#' || u.id), p.path FROM memberships m JOIN users u ON u.id = m.user_id"
             " JOIN paths p ON p.id = m.department_id",
            into(rows), now;
        std::set<std::string> out;
        for (const auto& r : rows) out.insert(r.get<0>() + ": " + r.get<1>());
        return out;
    }

    std::map<std::string, bool> departments() {
        std::vector<Poco::Tuple<std::string, int>> rows;
        auto s = db();
        s << "WITH RECURSIVE paths(id, path, synced) AS ("
             " SELECT id, name, CAST(synced AS INTEGER) FROM departments WHERE parent_id = 0"
             " UNION ALL SELECT d.id, p.path || ' > ' || d.name, CAST(d.synced AS INTEGER) FROM departments d JOIN "
             "paths p ON "
             "d.parent_id = p.id)"
             " SELECT path, synced FROM paths",
            into(rows), now;
        std::map<std::string, bool> out;
        for (const auto& r : rows) out[r.get<0>()] = r.get<1>() != 0;
        return out;
    }

    // Every row of every directory table, to compare before and after.
    std::string directory_dump() {
        std::string out;
        auto s = db();
        for (const char* table : {"users", "departments", "memberships", "audit_log", "audit_runs"}) {
            Poco::Data::Statement select(s);
            select << std::string("SELECT * FROM ") + table + " ORDER BY 1, 2", now;
            Poco::Data::RecordSet rows(select);
            for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
                out += table;
                for (std::size_t c = 0; c < rows.columnCount(); ++c)
                    out += "|" + (rows.value(c).isEmpty() ? std::string("NULL") : rows.value(c).convert<std::string>());
                out += "\n";
            }
        }
        return out;
    }

    std::int64_t count(const std::string& query) {
        Poco::Int64 n = 0;
        auto s = db();
        s << query, into(n), now;
        return n;
    }

    static bool has_finding(const RunReport& report, const std::string& location, const std::string& fragment,
                            Severity severity = Severity::error) {
        for (const auto& f : report.findings)
            if (f.severity == severity && f.location == location && f.message.find(fragment) != std::string::npos)
                return true;
        return false;
    }

    std::filesystem::path dir_;
    std::unique_ptr<testing::DirectoryUnderTest> directory_;
    Settings settings_;
    std::unique_ptr<PluginHost> plugins_;
    std::unique_ptr<StateStore> state_;
    std::unique_ptr<Pipeline> pipeline_;
    NoProgress progress_;
};

std::string allow_all_removals = "      guard: {max_removal_percent: 100}\n";

// --- Test mode, enabling, simulation -----------------------------------------

TEST_F(PipelineTest, StartsInTestModeAndOnlySimulates) {
    RunReport report = run(org());
    EXPECT_EQ(report.mode, PipelineMode::test);
    EXPECT_EQ(report.status, RunStatus::simulated) << dump(report);
    EXPECT_EQ(report.changes().created, 5);
    EXPECT_EQ(report.changes().departments_created, 4);  // Exec, Eng, Eng > Platform, Sales
    EXPECT_TRUE(users().empty());
    auto logged = state_->run(report.run_id);
    ASSERT_TRUE(logged);
    EXPECT_EQ(logged->status, "simulated");
    EXPECT_FALSE(logged->snapshot_key.empty());
}

TEST_F(PipelineTest, EnabledPipelineAppliesEverything) {
    RunReport report = go_live();
    EXPECT_EQ(report.mode, PipelineMode::live);
    EXPECT_EQ(report.changes().created, 5);
    EXPECT_EQ(report.changes().memberships_added, 5);
    EXPECT_EQ(report.changes().managers_changed, 4);
    auto u = users();
    ASSERT_EQ(u.size(), 5u);
    EXPECT_TRUE(u["C"].synced);
    EXPECT_EQ(u["C"].manager, "B");
    EXPECT_EQ(u["E"].job_title, "Seller");
    EXPECT_EQ(departments(),
              (std::map<std::string, bool>{{"Eng", true}, {"Eng > Platform", true}, {"Exec", true}, {"Sales", true}}));
    EXPECT_TRUE(memberships().count("C: Eng > Platform"));
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE run_id = " + std::to_string(report.run_id) +
                    " AND action = 'created'"),
              5);
}

TEST_F(PipelineTest, AnIdenticalSnapshotIsANoOpThatOnlyRecordsTheRun) {
    go_live();
    const std::string before = directory_dump();
    RunReport again = run(org());
    EXPECT_EQ(again.status, RunStatus::noop) << dump(again);
    EXPECT_EQ(again.changes().total(), 0);
    EXPECT_EQ(directory_dump(), before);
    ASSERT_TRUE(state_->run(again.run_id));
    EXPECT_EQ(state_->run(again.run_id)->status, "noop");
}

// Matching tries the destination's next user first; records in another
// order, with one gone and one new, still pair up by hris_id.
TEST_F(PipelineTest, RecordsInAnotherOrderMatchTheSameUsers) {
    configure(allow_all_removals);
    go_live();
    std::vector<Person> people = org();
    std::reverse(people.begin(), people.end());
    people.erase(std::find_if(people.begin(), people.end(), [](const Person& p) { return p.hris_id == "E"; }));
    Person newcomer = people.front();
    newcomer.hris_id = "F";
    newcomer.email = "f@example.com";
    people.insert(people.begin() + 1, newcomer);
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::applied) << dump(report);
    EXPECT_EQ(report.changes().created, 1);
    EXPECT_EQ(report.changes().updated, 0) << dump(report);
    EXPECT_EQ(report.changes().linked, 0) << dump(report);
    EXPECT_EQ(report.changes().unsynced, 1);
    auto u = users();
    EXPECT_TRUE(u["F"].synced);
    EXPECT_FALSE(u["E"].synced);
}

TEST_F(PipelineTest, AChangedConfigurationGoesBackToTestMode) {
    go_live();
    EXPECT_EQ(pipeline_->mode(), PipelineMode::live);
    configure("      mode: one_to_one\n");
    EXPECT_EQ(pipeline_->mode(), PipelineMode::test);
    auto people = org();
    person(people, "C").job_title = "Staff Engineer";
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::simulated);
    EXPECT_EQ(report.changes().updated, 1);
    EXPECT_EQ(users()["C"].job_title, "Engineer");
    pipeline_->enable();
    EXPECT_EQ(run(people).status, RunStatus::applied);
    EXPECT_EQ(users()["C"].job_title, "Staff Engineer");
}

TEST_F(PipelineTest, TheSameConfigurationStaysLiveAcrossRestarts) {
    go_live();
    configure();  // identical text: same fingerprint
    EXPECT_EQ(pipeline_->mode(), PipelineMode::live);
}

TEST_F(PipelineTest, ALoggedRunCanBeSimulatedAgainAgainstTheCurrentState) {
    RunReport first = run(org());  // test mode: logged, not applied
    EXPECT_EQ(first.changes().created, 5);
    go_live(without(org(), {"E"}));
    RunReport again = pipeline_->simulate(first.run_id, progress_);
    EXPECT_EQ(again.run_id, first.run_id);
    EXPECT_EQ(again.status, RunStatus::simulated);
    EXPECT_EQ(again.changes().created, 1);              // only E is missing now
    EXPECT_EQ(again.changes().total(), 1 + 1 + 1 + 1);  // E, its membership, Sales, its manager
    EXPECT_EQ(users().size(), 4u);                      // simulating changed nothing
}

// The runs past runs.keep_snapshots stay listed; their snapshots are gone,
// and simulating one says why instead of failing to read it.
TEST_F(PipelineTest, ARunPastKeepSnapshotsIsListedAndSimulatingItSaysWhy) {
    configure("", "", "runs: {keep_snapshots: 2}\n");
    RunReport first = run(org());
    std::vector<std::int64_t> runs{first.run_id};
    for (const std::string title : {"Chief", "Chair", "Boss"}) {
        std::vector<Person> people = org();
        people[0].job_title = title;
        runs.push_back(run(people).run_id);
    }
    EXPECT_TRUE(state_->run(first.run_id).has_value());
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (i >= 2) {
            EXPECT_EQ(pipeline_->simulate(runs[i], progress_).status, RunStatus::simulated);
            continue;
        }
        try {
            pipeline_->simulate(runs[i], progress_);
            ADD_FAILURE() << "run " << runs[i] << " was simulated";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("run " + std::to_string(runs[i]) +
                                                 "'s snapshot is no longer kept, so there is nothing to simulate; "
                                                 "the state database keeps those of each pipeline's newest 2 runs "
                                                 "(runs.keep_snapshots), none of a run started more than 30 days ago"),
                      std::string::npos)
                << e.what();
        }
    }
}

// --- Normal and 1:1 modes -----------------------------------------------------

TEST_F(PipelineTest, NormalModeUnsyncsAbsentUsersAndKeepsThemActive) {
    configure(allow_all_removals);
    go_live();
    RunReport report = run(without(org(), {"E"}));
    EXPECT_EQ(report.status, RunStatus::applied) << dump(report);
    EXPECT_EQ(report.changes().unsynced, 1);
    EXPECT_EQ(report.changes().deactivated, 0);
    EXPECT_EQ(report.changes().memberships_removed, 1);
    auto u = users();
    EXPECT_FALSE(u["E"].synced);
    EXPECT_TRUE(u["E"].active);
    EXPECT_FALSE(memberships().count("E: Sales"));  // synced departments hold only synced users
    EXPECT_TRUE(departments()["Sales"]);            // the department itself stays
}

TEST_F(PipelineTest, OneToOneModeAlsoDeactivatesAbsentUsers) {
    configure("      mode: one_to_one\n" + allow_all_removals);
    go_live();
    RunReport report = run(without(org(), {"E"}));
    EXPECT_EQ(report.changes().unsynced, 1);
    EXPECT_EQ(report.changes().deactivated, 1);
    EXPECT_FALSE(users()["E"].synced);
    EXPECT_FALSE(users()["E"].active);
}

TEST_F(PipelineTest, ActiveFalseDeactivatesInNormalModeAndStaysSynced) {
    configure(allow_all_removals);
    go_live();
    auto people = org();
    person(people, "D").active = false;
    RunReport report = run(people);
    EXPECT_EQ(report.changes().deactivated, 1);
    EXPECT_EQ(report.changes().unsynced, 0);
    EXPECT_FALSE(users()["D"].active);
    EXPECT_TRUE(users()["D"].synced);
}

TEST_F(PipelineTest, AReturningUserIsLinkedAgainAndReactivated) {
    configure("      mode: one_to_one\n" + allow_all_removals);
    go_live();
    run(without(org(), {"E"}));
    ASSERT_FALSE(users()["E"].active);
    const auto id = users()["E"].id;
    RunReport back = run(org());
    EXPECT_EQ(back.changes().linked, 1) << dump(back);
    EXPECT_EQ(back.changes().reactivated, 1);
    EXPECT_EQ(back.changes().created, 0);
    EXPECT_TRUE(users()["E"].synced);
    EXPECT_TRUE(users()["E"].active);
    EXPECT_EQ(users()["E"].id, id);
    EXPECT_TRUE(memberships().count("E: Sales"));
}

TEST_F(PipelineTest, ExistingUnsyncedUsersAreLinkedByEmailCaseInsensitively) {
    existing_directory(
        "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, hris_id TEXT UNIQUE, email TEXT NOT NULL, "
        "first_name TEXT NOT NULL DEFAULT '', last_name TEXT NOT NULL DEFAULT '', job_title TEXT NOT NULL DEFAULT '', "
        "phone_number TEXT NOT NULL DEFAULT '', employee_id TEXT NOT NULL DEFAULT '', hire_date TEXT NOT NULL DEFAULT "
        "'', "
        "profile_image_url TEXT NOT NULL DEFAULT '', profile_image_last_modified TEXT NOT NULL DEFAULT '', "
        "profile_image_cache_info TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1, manager_id INTEGER, "
        "synced INTEGER NOT NULL DEFAULT 0, synced_fields TEXT NOT NULL DEFAULT '', sync_hash INTEGER NOT NULL DEFAULT "
        "0, "
        "updated_at TEXT NOT NULL DEFAULT '')");
    sql("INSERT INTO users(id, email, first_name, job_title) VALUES(77, 'C@Example.COM', 'Cee', 'Hand-made')");
    RunReport report = go_live();
    EXPECT_EQ(report.changes().linked, 1) << dump(report);
    EXPECT_EQ(report.changes().created, 4);
    auto u = users();
    ASSERT_EQ(u.size(), 5u);
    EXPECT_EQ(u["C"].id, 77);
    EXPECT_TRUE(u["C"].synced);
    EXPECT_EQ(u["C"].job_title, "Engineer");
    EXPECT_EQ(u["C"].email, "c@example.com");
}

// --- Departments ---------------------------------------------------------------

TEST_F(PipelineTest, DepartmentMovesRemoveAndAddMemberships) {
    go_live();
    auto people = org();
    person(people, "C").departments = {"Sales > EMEA > DACH"};
    RunReport report = run(people);
    EXPECT_EQ(report.changes().memberships_removed, 1) << dump(report);
    EXPECT_EQ(report.changes().memberships_added, 1);
    EXPECT_EQ(report.changes().departments_created, 2);  // every missing level
    EXPECT_TRUE(memberships().count("C: Sales > EMEA > DACH"));
    EXPECT_FALSE(memberships().count("C: Eng > Platform"));
    EXPECT_TRUE(departments()["Sales > EMEA"]);
}

TEST_F(PipelineTest, SyncedDepartmentsHoldOnlySyncedUsers) {
    go_live();
    // Someone adds a hand-made user to a synced department, and to a
    // department of their own.
    sql("INSERT INTO users(id, email, first_name) VALUES(90, 'x@example.com', 'Hand')");
    sql("INSERT INTO departments(id, parent_id, name) VALUES(500, 0, 'Book Club')");  // not synced
    sql("INSERT INTO memberships(user_id, department_id) SELECT 90, id FROM departments WHERE name = 'Sales'");
    sql("INSERT INTO memberships(user_id, department_id) VALUES(90, 500)");
    RunReport report = run(org());
    EXPECT_EQ(report.changes().memberships_removed, 1) << dump(report);
    EXPECT_FALSE(memberships().count("#90: Sales"));
    EXPECT_TRUE(memberships().count("#90: Book Club"));  // not a synced department: left alone
}

TEST_F(PipelineTest, AnExistingDepartmentNamedByTheSnapshotIsAdopted) {
    existing_directory(
        "CREATE TABLE departments (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL DEFAULT 0, name TEXT NOT NULL, "
        "synced INTEGER NOT NULL DEFAULT 0, UNIQUE(parent_id, name))");
    sql("INSERT INTO departments(id, parent_id, name) VALUES(7, 0, 'Sales')");
    RunReport report = go_live();
    EXPECT_EQ(report.changes().departments_created, 3) << dump(report);  // Exec, Eng, Eng > Platform
    EXPECT_TRUE(departments()["Sales"]);
    EXPECT_TRUE(memberships().count("E: Sales"));
    EXPECT_EQ(count("SELECT COUNT(*) FROM departments WHERE name = 'Sales'"), 1);
}

// --- Managers ---------------------------------------------------------------------

TEST_F(PipelineTest, ManagerChangesAreApplied) {
    go_live();
    auto people = org();
    person(people, "D").manager = "E";
    RunReport report = run(people);
    EXPECT_EQ(report.changes().managers_changed, 1);
    EXPECT_EQ(report.changes().updated, 0);
    EXPECT_EQ(users()["D"].manager, "E");
}

TEST_F(PipelineTest, ADanglingManagerIsAWarningAndStaysUnset) {
    auto people = org();
    person(people, "E").manager = "NOBODY";
    RunReport report = go_live(people);
    EXPECT_TRUE(has_finding(report, "users[4].manager", "\"NOBODY\" is neither in the snapshot nor in the destination",
                            Severity::warning))
        << dump(report);
    EXPECT_EQ(users()["E"].manager, "");
}

TEST_F(PipelineTest, ASelfManagerIsAWarningAndStaysUnset) {
    auto people = org();
    person(people, "A").manager = "A";
    RunReport report = go_live(people);
    EXPECT_TRUE(has_finding(report, "users[0].manager", "their own manager", Severity::warning)) << dump(report);
    EXPECT_EQ(users()["A"].manager, "");
}

TEST_F(PipelineTest, AManagerCycleIsAnErrorOnEveryoneInIt) {
    pipeline_->enable();
    auto people = org();
    person(people, "C").manager = "D";
    person(people, "D").manager = "C";
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::rejected) << dump(report);
    EXPECT_TRUE(has_finding(report, "users[2].manager", "manager chain forms a cycle")) << dump(report);
    EXPECT_TRUE(has_finding(report, "users[3].manager", "manager chain forms a cycle")) << dump(report);
    EXPECT_FALSE(has_finding(report, "users[1].manager", "cycle"));
    EXPECT_TRUE(users().empty());  // the directory was read (alongside the source), never written
}

TEST_F(PipelineTest, UnderSkipAManagerCycleQuarantinesOnlyItsUsers) {
    configure("      on_invalid: skip\n");
    auto people = org();
    person(people, "C").manager = "D";
    person(people, "D").manager = "C";
    RunReport report = go_live(people);
    EXPECT_EQ(report.changes().created, 3) << dump(report);
    EXPECT_FALSE(users().count("C"));
    EXPECT_FALSE(users().count("D"));
}

// --- Invalid records --------------------------------------------------------------

TEST_F(PipelineTest, RejectRefusesTheWholeSnapshotAndNamesTheRecord) {
    go_live();
    const std::string before = directory_dump();
    auto people = org();
    person(people, "C").email = "bob@";
    person(people, "B").job_title = "VP";
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::rejected);
    EXPECT_TRUE(has_finding(report, "users[2].email", "\"bob@\" is not an email address")) << dump(report);
    EXPECT_EQ(directory_dump(), before);
}

TEST_F(PipelineTest, SkipQuarantinesInvalidRecordsAndAppliesTheRest) {
    configure("      on_invalid: skip\n      mode: one_to_one\n" + allow_all_removals);
    go_live();
    auto people = org();
    person(people, "C").email = "bob@";
    person(people, "C").job_title = "Changed";
    person(people, "B").job_title = "VP";
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::applied) << dump(report);
    EXPECT_EQ(report.changes().updated, 1);
    EXPECT_EQ(report.changes().unsynced, 0);  // never let a bad record turn into a removal
    EXPECT_EQ(report.changes().deactivated, 0);
    auto u = users();
    EXPECT_EQ(u["B"].job_title, "VP");
    EXPECT_EQ(u["C"].job_title, "Engineer");  // quarantined: exactly as before
    EXPECT_EQ(u["C"].email, "c@example.com");
    EXPECT_TRUE(u["C"].synced);
    EXPECT_TRUE(u["C"].active);
}

TEST_F(PipelineTest, AnInvalidRecordWithoutHrisIdHoldsBackAllRemovals) {
    configure("      on_invalid: skip\n      mode: one_to_one\n" + allow_all_removals);
    go_live();
    auto people = without(org(), {"E"});
    people.push_back({"", "e@example.com", {"Sales"}, "A"});
    RunReport report = run(people);
    EXPECT_EQ(report.changes().unsynced, 0) << dump(report);
    EXPECT_TRUE(has_finding(report, "(snapshot)", "no user is unsynced or deactivated", Severity::warning));
    EXPECT_TRUE(users()["E"].synced);
    EXPECT_TRUE(users()["E"].active);
}

TEST_F(PipelineTest, AnEmailThatBelongsToAnotherDestinationUserIsRefused) {
    go_live();
    sql("INSERT INTO users(id, email, first_name) VALUES(90, 'x@example.com', 'Hand')");
    auto people = org();
    person(people, "D").email = "X@example.com";
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::rejected) << dump(report);
    EXPECT_TRUE(has_finding(report, "users[3].email", "already belongs to a user the directory created"))
        << dump(report);
    EXPECT_EQ(users()["D"].email, "d@example.com");
}

// --- Field selection ----------------------------------------------------------------

TEST_F(PipelineTest, AnUnselectedFieldIsNeitherComparedNorWritten) {
    configure("      fields: [departments, manager]\n");
    go_live();
    EXPECT_EQ(users()["C"].job_title, "");  // job_title is not synced: never written
    auto people = org();
    person(people, "C").job_title = "Changed";
    EXPECT_EQ(run(people).status, RunStatus::noop);
    // ...and stays editable in the directory, while a synced field does not.
    Sink& directory = pipeline_->sink("directory");
    directory.edit_user("C", "job_title", "Typed by hand");
    EXPECT_EQ(users()["C"].job_title, "Typed by hand");
    try {
        directory.edit_user("c@example.com", "first_name", "Renamed");
        FAIL() << "a synced field of a synced user was edited";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("first_name of c@example.com is synced from the HRIS and read-only"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(users()["C"].first_name, "First");
    EXPECT_EQ(run(people).status, RunStatus::noop);  // the hand edit is not a difference
}

TEST_F(PipelineTest, UnsyncedUsersStayFullyEditable) {
    configure(allow_all_removals);
    go_live();
    run(without(org(), {"E"}));
    pipeline_->sink("directory").edit_user("E", "first_name", "Eve");
    EXPECT_EQ(users()["E"].first_name, "Eve");
}

// --- Deletion guard ---------------------------------------------------------------------

TEST_F(PipelineTest, TheGuardBlocksAboveTheCount) {
    configure("      guard: {max_removals: 1, max_removal_percent: 100}\n");
    go_live();
    const std::string before = directory_dump();
    RunReport report = run(without(org(), {"D", "E"}));
    EXPECT_EQ(report.status, RunStatus::blocked) << dump(report);
    EXPECT_NE(report.sinks[0].guard.find("more than max_removals (1)"), std::string::npos) << report.sinks[0].guard;
    EXPECT_EQ(directory_dump(), before);
}

TEST_F(PipelineTest, TheGuardBlocksAboveThePercentageByDefault) {
    go_live();
    RunReport report = run(without(org(), {"D", "E"}));  // 2 of 5 = 40% > 20%
    EXPECT_EQ(report.status, RunStatus::blocked) << dump(report);
    EXPECT_NE(report.sinks[0].guard.find("2 of 5 synced users (40.0%)"), std::string::npos) << report.sinks[0].guard;
    EXPECT_TRUE(users()["D"].synced);
}

TEST_F(PipelineTest, AnEmptySnapshotInOneToOneModeIsBlocked) {
    configure("      mode: one_to_one\n");
    go_live();
    RunReport report = run({});
    EXPECT_EQ(report.status, RunStatus::blocked) << dump(report);
    EXPECT_EQ(report.sinks[0].removals, 5);
    for (const auto& [id, row] : users()) EXPECT_TRUE(row.active) << id;
}

TEST_F(PipelineTest, ABlockedRunGoesThroughWhenApproved) {
    go_live();
    RunReport blocked = run(without(org(), {"D", "E"}));
    ASSERT_EQ(blocked.status, RunStatus::blocked);
    RunReport approved = pipeline_->approve(blocked.run_id, progress_);
    EXPECT_EQ(approved.status, RunStatus::applied) << dump(approved);
    EXPECT_EQ(approved.changes().unsynced, 2);
    EXPECT_FALSE(users()["D"].synced);
    EXPECT_EQ(state_->run(blocked.run_id)->approved_by_run, approved.run_id);
    EXPECT_THROW(pipeline_->approve(blocked.run_id, progress_), Error);  // once
}

TEST_F(PipelineTest, ABlockedRunCannotBeApprovedInTestMode) {
    go_live();
    RunReport blocked = run(without(org(), {"D", "E"}));
    pipeline_->disable();
    EXPECT_THROW(pipeline_->approve(blocked.run_id, progress_), Error);
    EXPECT_TRUE(users()["D"].synced);
}

TEST_F(PipelineTest, ForcePassesTheGuard) {
    go_live();
    RunRequest request;
    request.force = true;
    RunReport report = run(without(org(), {"D", "E"}), request);
    EXPECT_EQ(report.status, RunStatus::applied) << dump(report);
    EXPECT_FALSE(users()["E"].synced);
}

TEST_F(PipelineTest, TestModeReportsWhatTheGuardWouldDo) {
    RunReport report = run({});
    EXPECT_EQ(report.status, RunStatus::simulated);
    go_live();
    pipeline_->disable();
    report = run({});
    EXPECT_EQ(report.status, RunStatus::simulated);
    EXPECT_TRUE(has_finding(report, "sink directory", "a live run would be blocked", Severity::warning))
        << dump(report);
}

// --- Failures ---------------------------------------------------------------------------

TEST_F(PipelineTest, AWriteFailureMidRunLeavesTheDirectoryExactlyAsBefore) {
    configure(allow_all_removals);
    go_live(without(org(), {"E"}));
    auto people = org();
    person(people, "B").job_title = "VP";
    people.push_back({"F", "f@example.com", {"New > Team"}, "A"});
    people.push_back({"G", "g@example.com", {"New > Team"}, "F"});
    // A real failure inside the transaction: the database refuses G.
    if (testing::DirectoryUnderTest::postgres)
        directory_->administer(
            "CREATE FUNCTION refuse_g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.user_id = (SELECT id "
            "FROM peoplesync.users WHERE hris_id = 'G') THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; "
            "END $$; CREATE TRIGGER refuse_g BEFORE INSERT ON memberships FOR EACH ROW EXECUTE FUNCTION refuse_g()");
    else
        sql("CREATE TRIGGER refuse_g BEFORE INSERT ON memberships WHEN NEW.user_id = (SELECT id FROM users WHERE "
            "hris_id = 'G') BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    const std::string before = directory_dump();
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::failed) << dump(report);
    EXPECT_NE(report.message.find("disk on fire"), std::string::npos) << report.message;
    EXPECT_NE(report.message.find("rolled back"), std::string::npos) << report.message;
    EXPECT_EQ(directory_dump(), before);
    directory_->administer(testing::DirectoryUnderTest::postgres ? "DROP TRIGGER refuse_g ON memberships"
                                                                 : "DROP TRIGGER refuse_g");
    EXPECT_EQ(run(people).status, RunStatus::applied);
    EXPECT_EQ(users()["G"].manager, "F");
}

TEST_F(PipelineTest, ASourceThatThrowsFailsTheRunWithItsMessage) {
    configure("", ", fail_with: HRIS API answered 503");
    pipeline_->enable();
    RunReport report = run(org());
    EXPECT_EQ(report.status, RunStatus::failed);
    EXPECT_EQ(report.message, "HRIS API answered 503");
    EXPECT_EQ(state_->run(report.run_id)->status, "failed");
}

TEST_F(PipelineTest, MalformedInputFailsTheRunAndKeepsTheDirectory) {
    go_live();
    const std::string before = directory_dump();
    RunReport report = run_json("{\"users\": [");
    EXPECT_EQ(report.status, RunStatus::failed);
    EXPECT_NE(report.message.find("malformed JSON at byte"), std::string::npos) << report.message;
    EXPECT_EQ(directory_dump(), before);
}

// --- Change-only runs (RecordScanner) ------------------------------------------

// Forty people under P0: teams of up to eight, each under the one before.
std::vector<Person> staff(int count = 40) {
    std::vector<Person> people;
    for (int i = 0; i < count; ++i) {
        const std::string id = "P" + std::to_string(i);
        people.push_back({id,
                          "p" + std::to_string(i) + "@example.com",
                          {"Eng > Team " + std::to_string(i % 4)},
                          i == 0 ? "" : "P" + std::to_string((i - 1) / 8)});
    }
    return people;
}

// A large snapshot is normalized on two threads, each half on its own: every
// user comes out as they would alone, whether normalizing shortens them
// (stored where they were) or lengthens them ("Eng>Mobile").
// The diff builds each destination department's path from its parent's,
// whatever order the departments come in; a parent that is missing cuts the
// chain there, and a cycle the database should not hold is cut at its
// department with the smallest id (Loop A, 6), as the directory cuts it.
TEST(DiffDepartments, PathsComeFromParentsInAnyOrderAndBrokenChainsAreCut) {
    const SyncPolicy policy = syncing_every_field();
    DestinationIndex index;
    index.departments = {{4, 3, "Mobile", true},  {3, 0, "Eng", true},     {5, 4, "iOS", true},
                         {6, 7, "Loop A", false}, {7, 6, "Loop B", false}, {8, 99, "Orphan", false},
                         {9, 0, "Sales", false}};
    index.users = {{100, "W-1", "w1@example.com", true, true, 1}};
    Snapshot snapshot;
    User u;
    u.hris_id = "W-1";
    u.email = "w1@example.com";
    u.first_name = "W";
    u.last_name = "One";
    u.departments = {"Eng > Mobile", "Sales", "Orphan", "New > Team", "Loop A > Loop B"};
    snapshot.users.push_back(u);
    std::size_t fetched = 0;
    auto fetch = [&](std::span<const std::int64_t> ids) {  // W-1 in Eng > Mobile > iOS and Sales
        fetched += ids.size();
        DestinationRecord record;
        record.id = 100;
        record.user = u;
        record.user.departments.clear();
        record.department_ids = {5, 9};
        return std::vector<DestinationRecord>{record};
    };
    const DiffResult result = diff(snapshot, std::vector<char>(1, 0), policy, index, fetch);
    EXPECT_EQ(fetched, 1u);
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(sorted(result.changes.departments_created), (std::vector<std::string>{"New", "New > Team"}));
    EXPECT_EQ(sorted(result.changes.departments_adopted),
              (std::vector<std::string>{"Loop A", "Loop A > Loop B", "Orphan", "Sales"}));
    std::vector<std::string> added, removed;
    for (const auto& m : result.changes.memberships_added) added.push_back(m.department);
    for (const auto& m : result.changes.memberships_removed) removed.push_back(m.department);
    EXPECT_EQ(sorted(added), (std::vector<std::string>{"Eng > Mobile", "Loop A > Loop B", "New > Team", "Orphan"}));
    EXPECT_EQ(removed, (std::vector<std::string>{"Eng > Mobile > iOS"}));  // Sales: adopted, and still named

    // The same departments in the opposite order: the same paths.
    std::reverse(index.departments.begin(), index.departments.end());
    const DiffResult again = diff(snapshot, std::vector<char>(1, 0), policy, index, fetch);
    EXPECT_EQ(sorted(again.changes.departments_adopted), sorted(result.changes.departments_adopted));
    EXPECT_EQ(sorted(again.changes.departments_created), sorted(result.changes.departments_created));
    ASSERT_EQ(again.changes.memberships_removed.size(), 1u);
    EXPECT_EQ(again.changes.memberships_removed[0].department, "Eng > Mobile > iOS");
}

// Spaces, tabs, line ends, vertical tabs and form feeds around a value go;
// those inside it and other bytes (a no-break space) stay.
TEST(Normalize, EveryKindOfOuterSpaceIsTrimmed) {
    const SyncPolicy policy = syncing_every_field();
    Snapshot snapshot;
    User u;
    u.hris_id = "\r\nW-1\v";
    u.first_name = "\fAnn Lee\t ";
    u.last_name = "\xC2\xA0Lee";
    u.email = "ann@example.com\n";
    snapshot.users.push_back(std::move(u));
    normalize(snapshot, policy);
    EXPECT_EQ(snapshot.users[0].hris_id, "W-1");
    EXPECT_EQ(snapshot.users[0].first_name, "Ann Lee");
    EXPECT_EQ(snapshot.users[0].last_name, "\xC2\xA0Lee");
    EXPECT_EQ(snapshot.users[0].email, "ann@example.com");
}

TEST(Normalize, ALargeSnapshotComesOutAsEachUserAlone) {
    const SyncPolicy policy = syncing_every_field();
    Snapshot snapshot;
    for (int i = 0; i < 70001; ++i) {
        User u;
        u.hris_id = " W-" + std::to_string(i) + (i % 2 ? " " : "");
        u.first_name = i % 3 ? "Zoë" : "  Zoë\t";
        u.last_name = "Number " + std::to_string(i);
        u.email = "p" + std::to_string(i) + "@example.com ";
        u.departments = {"Eng >  Mobile ", "Eng > Mobile", i % 5 ? "Sales" : " Sales"};
        if (i % 11 == 4) u.departments = {"Eng>Mobile", "Sales>EMEA>North"};
        u.manager_hris_id = i % 7 ? "W-0" : "W-" + std::to_string(i);
        snapshot.users.push_back(std::move(u));
    }
    Snapshot each = snapshot;
    normalize(snapshot, policy);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < each.users.size(); ++i) {
        Snapshot alone;
        alone.users = {each.users[i]};
        normalize(alone, policy);
        const UserView a = alone.users[0], b = snapshot.users[i];
        differ += a.hris_id != b.hris_id || a.first_name != b.first_name || a.email != b.email ||
                  a.departments != b.departments || a.manager_hris_id != b.manager_hris_id;
    }
    EXPECT_EQ(differ, 0u);
    EXPECT_EQ(snapshot.users[70000].hris_id, "W-70000");
    EXPECT_EQ(snapshot.users[3].first_name, "Zoë");
    EXPECT_EQ(snapshot.users[35001].departments, (std::vector<std::string>{"Eng > Mobile", "Sales"}));
    EXPECT_EQ(snapshot.users[35006].departments, (std::vector<std::string>{"Eng > Mobile", "Sales > EMEA > North"}));
    EXPECT_EQ(snapshot.users[35006].hris_id, "W-35006");
    EXPECT_EQ(snapshot.users[7].manager_hris_id, "");  // their own manager: unset, with a warning
    EXPECT_EQ(snapshot.findings.size(), 10001u);       // one per seventh user
}

class ChangeOnlyTest : public PipelineTest {
protected:
    void SetUp() override {
        PipelineTest::SetUp();
        configure("", ", scans: true");
        pipeline_->enable();
        RunReport first = run(staff());
        EXPECT_EQ(first.status, RunStatus::applied) << dump(first);
        EXPECT_EQ(first.changed_records, -1);  // nothing to compare with: read whole
    }

    // The directory's synced people, departments and memberships, ids left out.
    std::string directory_state() {
        std::string out;
        for (const auto& [id, row] : users())
            if (row.synced)
                out += id + "|" + row.email + "|" + row.job_title + "|" + row.manager + "|" + row.first_name + "|" +
                       std::to_string(row.active) + std::to_string(row.synced) + "\n";
        for (const auto& m : memberships()) out += m + "\n";
        for (const auto& [path, synced] : departments()) out += path + (synced ? " synced\n" : "\n");
        return out;
    }

    // What a full run of `people` leaves in a new directory.
    std::string fresh_directory_state(const std::vector<Person>& people) {
        pipeline_.reset();
        state_.reset();
        directory_->erase();
        for (const char* file : {"state.db", "state.db-wal", "state.db-shm", "state.snapshots.db"})
            std::filesystem::remove(dir_ / file);
        configure();
        pipeline_->enable();
        RunReport report = run(people);
        EXPECT_EQ(report.status, RunStatus::applied) << dump(report);
        return directory_state();
    }

    // A change-only-worthy edit: one title.
    static std::vector<Person> retitled(std::vector<Person> people = staff()) {
        person(people, "P5").job_title = "Staff Engineer";
        return people;
    }
};

TEST_F(ChangeOnlyTest, ReadsOnlyTheChangedRecordsAndLeavesWhatAFullRunWould) {
    std::vector<Person> people = staff();
    person(people, "P5").job_title = "Staff Engineer";               // updated
    person(people, "P6").departments = {"Sales > New Team"};         // moved to a department created now
    person(people, "P7").manager = "P2";                             // a new manager
    people = without(people, {"P39"});                               // left
    people.push_back({"P40", "p40@example.com", {"Sales"}, "P3"});   // hired
    people.push_back({"P41", "p41@example.com", {"Sales"}, "P40"});  // hired, under a new hire
    std::swap(people[10], people[20]);                               // moved in the file, unchanged

    RunReport report = run(people);
    ASSERT_EQ(report.status, RunStatus::applied) << dump(report);
    EXPECT_EQ(report.changed_records, 5) << dump(report);  // P5, P6, P7, P40, P41
    EXPECT_EQ(report.changed_since_run, report.run_id - 1);
    EXPECT_EQ(report.users, 41);
    EXPECT_TRUE(report.findings.empty()) << dump(report);
    const ChangeSummary changes = report.changes();
    EXPECT_EQ(changes.created, 2);
    EXPECT_EQ(changes.unsynced, 1);
    EXPECT_EQ(changes.departments_created, 2);  // Sales, Sales > New Team
    EXPECT_EQ(report_json(report, false)["change_only"]["records_read"], 5);

    auto u = users();
    EXPECT_EQ(u["P5"].job_title, "Staff Engineer");
    EXPECT_EQ(u["P7"].manager, "P2");
    EXPECT_EQ(u["P41"].manager, "P40");
    EXPECT_FALSE(u["P39"].synced);
    EXPECT_TRUE(memberships().count("P6: Sales > New Team"));
    EXPECT_FALSE(memberships().count("P6: Eng > Team 2"));

    // A full read finds nothing left to do, and a new directory synced from
    // scratch holds the same.
    RunRequest full;
    full.full = true;
    RunReport check = run(people, full);
    EXPECT_EQ(check.status, RunStatus::noop) << dump(check);
    EXPECT_EQ(check.changed_records, -1);
    EXPECT_EQ(check.changes().total(), 0) << dump(check);
    const std::string after = directory_state();
    EXPECT_EQ(after, fresh_directory_state(people));
}

TEST_F(ChangeOnlyTest, ItsSnapshotIsStoredWholeAndSimulatesLikeAnyOther) {
    std::vector<Person> people = retitled();
    std::swap(people[1], people[2]);
    RunReport report = run(people);
    ASSERT_EQ(report.changed_records, 1) << dump(report);
    auto logged = state_->run(report.run_id);
    ASSERT_TRUE(logged);
    EXPECT_EQ(logged->users, 40);
    Snapshot stored = state_->load_snapshot(logged->snapshot_key);
    ASSERT_EQ(stored.users.size(), 40u);
    for (std::size_t i = 0; i < people.size(); ++i) {
        EXPECT_EQ(stored.users[i].hris_id, people[i].hris_id) << i;
        EXPECT_EQ(stored.users[i].origin, "users[" + std::to_string(i) + "]");
        EXPECT_EQ(stored.users[i].job_title, people[i].job_title) << i;
        EXPECT_EQ(stored.users[i].manager_hris_id, people[i].manager) << i;
    }
    RunReport simulated = pipeline_->simulate(report.run_id, progress_);
    EXPECT_EQ(simulated.status, RunStatus::simulated) << dump(simulated);
    EXPECT_EQ(simulated.changes().total(), 0) << dump(simulated);

    // The same input again is unchanged; a new change is read change-only again.
    RunReport again = run(people);
    EXPECT_EQ(again.unchanged_since_run, report.run_id) << dump(again);
    person(people, "P8").job_title = "Lead";
    RunReport next = run(people);
    EXPECT_EQ(next.changed_records, 1) << dump(next);
    EXPECT_EQ(next.changed_since_run, report.run_id);
    EXPECT_EQ(users()["P8"].job_title, "Lead");
}

// An export replaced between the run's digest and its scan: the run applies
// what it scanned and stores that input's digest, so the export it asked the
// digest of is read when it comes back, not taken as unchanged (stored under
// the digest asked for, the directory kept the replacement's titles).
TEST_F(ChangeOnlyTest, AnExportReplacedBetweenDigestAndScanStoresTheDigestOfWhatWasRead) {
    configure("", ", scans: true, replaced_before_scan: replacement.json");
    pipeline_->enable();
    EXPECT_EQ(run(staff()).changed_records, -1);  // another configuration: read whole
    std::vector<Person> exported = staff();
    person(exported, "P6").job_title = "Architect";
    std::ofstream(dir_ / "replacement.json") << snapshot_json(retitled());
    RunReport replaced = run(exported);
    ASSERT_EQ(replaced.status, RunStatus::applied) << dump(replaced);
    EXPECT_EQ(users()["P5"].job_title, "Staff Engineer");
    EXPECT_EQ(users()["P6"].job_title, "Engineer");

    RunReport back = run(exported);
    EXPECT_EQ(back.unchanged_since_run, 0) << dump(back);
    EXPECT_EQ(back.status, RunStatus::applied) << dump(back);
    EXPECT_EQ(users()["P5"].job_title, "Engineer");
    EXPECT_EQ(users()["P6"].job_title, "Architect");
    EXPECT_EQ(run(exported).unchanged_since_run, back.run_id);
}

TEST_F(ChangeOnlyTest, ARecordWithAFindingSendsTheRunBackToAFullRead) {
    configure("      on_invalid: skip\n", ", scans: true");
    pipeline_->enable();
    EXPECT_EQ(run(staff()).changed_records, -1);  // another configuration: read whole
    std::vector<Person> people = staff();
    person(people, "P5").email = "not an email";
    RunReport report = run(people);
    EXPECT_EQ(report.changed_records, -1) << dump(report);
    EXPECT_EQ(report.status, RunStatus::noop) << dump(report);  // on_invalid: skip quarantines it
    EXPECT_TRUE(has_finding(report, "users[5].email", "")) << dump(report);
    // Unchanged since: the no-op carries that run's finding and quarantine on.
    RunReport unchanged = run(people);
    EXPECT_EQ(unchanged.unchanged_since_run, report.run_id) << dump(unchanged);
    EXPECT_TRUE(has_finding(unchanged, "users[5].email", "")) << dump(unchanged);
    EXPECT_EQ(unchanged.quarantined, report.quarantined);
    EXPECT_EQ(unchanged.quarantined, 1);

    // That run had findings: the next reads everything too, and once a run
    // is clean again the one after it is change-only.
    person(people, "P5").email = "p5@example.com";
    RunReport clean = run(people);
    EXPECT_EQ(clean.changed_records, -1) << dump(clean);
    EXPECT_TRUE(clean.findings.empty()) << dump(clean);
    RunReport next = run(retitled(people));
    EXPECT_EQ(next.changed_records, 1) << dump(next);
}

TEST_F(ChangeOnlyTest, ARecordTheSourceFaultsIsReadWholeAndOnlyThatRunsSnapshotIsKept) {
    json text = json::parse(snapshot_json(staff()));
    text["users"][5]["active"] = "yes";
    RunReport report = run_json(text.dump(2));
    EXPECT_EQ(report.changed_records, -1) << dump(report);
    EXPECT_EQ(report.status, RunStatus::rejected) << dump(report);
    EXPECT_TRUE(has_finding(report, "users[5].active", "")) << dump(report);
    // The change-only attempt stored its snapshot (the finding under its own
    // record number) before it gave up; only the run's own stays.
    Poco::Data::Session state("SQLite", (dir_ / "state.db").string());
    Poco::Int64 orphans = -1, lists = 0;
    state << "SELECT COUNT(*) FROM snapshot_lists WHERE key NOT IN (SELECT snapshot_key FROM runs)", into(orphans), now;
    state << "SELECT COUNT(*) FROM snapshot_lists", into(lists), now;
    EXPECT_EQ(orphans, 0);
    EXPECT_EQ(lists, 2);
}

// A source may keep what it read for its digest (the csv source: the file's
// bytes) for the scan; every run that asks for the digest lets it go by the
// end, the unchanged ones included.
TEST_F(ChangeOnlyTest, EveryRunLetsTheSourceLetGoOfWhatItKeptForTheDigest) {
    auto kept = [&] {
        std::ifstream in(dir_ / "snapshot.json.kept");
        std::string text;
        std::getline(in, text);
        return text;
    };
    EXPECT_EQ(kept(), "let go");  // the first run's, which read everything
    RunReport unchanged = run(staff());
    EXPECT_GT(unchanged.unchanged_since_run, 0) << dump(unchanged);
    EXPECT_EQ(kept(), "let go");
    RunReport changed = run(retitled());
    EXPECT_EQ(changed.changed_records, 1) << dump(changed);
    EXPECT_EQ(kept(), "let go");
}

TEST_F(ChangeOnlyTest, AnEmailAnUnchangedRecordHoldsIsFoundAsInAFullRead) {
    std::vector<Person> people = staff();
    person(people, "P5").email = "p6@example.com";
    RunReport report = run(people);
    EXPECT_EQ(report.changed_records, -1) << dump(report);
    EXPECT_TRUE(has_finding(report, "users[5].email", "p6@example.com")) << dump(report);
    EXPECT_EQ(users()["P5"].email, "p5@example.com");
}

TEST_F(ChangeOnlyTest, AnHrisIdAnUnchangedRecordHoldsIsFoundAsInAFullRead) {
    std::vector<Person> people = staff();
    people.push_back({"P6", "other6@example.com", {"Sales"}, ""});
    RunReport report = run(people);
    EXPECT_EQ(report.changed_records, -1) << dump(report);
    EXPECT_FALSE(report.findings.empty()) << dump(report);
}

TEST_F(ChangeOnlyTest, AManagerCycleThroughUnchangedRecordsIsFoundAsInAFullRead) {
    std::vector<Person> people = staff();
    person(people, "P0").manager = "P9";  // P9 -> P1 -> P0 -> P9
    RunReport report = run(people);
    EXPECT_EQ(report.changed_records, -1) << dump(report);
    EXPECT_TRUE(has_finding(report, "users[0].manager", "cycle")) << dump(report);
    EXPECT_TRUE(has_finding(report, "users[9].manager", "cycle")) << dump(report);
}

TEST_F(ChangeOnlyTest, TheGuardStillBlocksAndTheBlockedRunCanBeApproved) {
    std::vector<Person> people = staff();
    for (int i = 30; i < 40; ++i) people = without(people, {"P" + std::to_string(i)});  // 25% leave
    RunReport report = run(people);
    EXPECT_EQ(report.status, RunStatus::blocked) << dump(report);
    EXPECT_EQ(report.changed_records, -1);
    RunReport approved = pipeline_->approve(report.run_id, progress_);
    EXPECT_EQ(approved.status, RunStatus::applied) << dump(approved);
    EXPECT_FALSE(users()["P35"].synced);
}

TEST_F(ChangeOnlyTest, AnEditedDestinationOrManyChangesAreReadWhole) {
    // A field the pipeline does not sync can be edited in the directory.
    configure("      fields: [job_title, departments, manager]\n", ", scans: true");
    pipeline_->enable();
    RunReport first = run(staff());
    EXPECT_EQ(first.changed_records, -1) << dump(first);  // another configuration: read whole
    pipeline_->sink("directory").edit_user("P3", "phone_number", "+1 555 0100");
    RunReport edited = run(retitled());
    EXPECT_EQ(edited.changed_records, -1) << dump(edited);
    EXPECT_EQ(edited.status, RunStatus::applied) << dump(edited);

    std::vector<Person> people = retitled();
    for (int i = 10; i < 20; ++i) person(people, "P" + std::to_string(i)).job_title = "Manager";  // a quarter
    RunReport many = run(people);
    EXPECT_EQ(many.changed_records, -1) << dump(many);
    EXPECT_EQ(many.status, RunStatus::applied) << dump(many);
    EXPECT_EQ(users()["P15"].job_title, "Manager");
}

TEST_F(ChangeOnlyTest, ItsRowsAreOneFileAndADamagedOneCostsAFullRead) {
    auto files = [&] {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(dir_ / "state.rows"))
            names.push_back(entry.path().filename().string());
        return names;
    };
    ASSERT_EQ(files().size(), 1u);  // the first run's, named by the pipeline (hex) and the run
    EXPECT_EQ(files()[0], "70656f706c65-1.rows");
    RunReport report = run(retitled());
    ASSERT_EQ(report.changed_records, 1) << dump(report);
    ASSERT_EQ(files(), std::vector<std::string>{"70656f706c65-2.rows"});

    // A byte changed: the rows are not trusted, and the run reads everything.
    const auto path = dir_ / "state.rows" / "70656f706c65-2.rows";
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        std::stringstream all;
        all << in.rdbuf();
        bytes = all.str();
    }
    bytes[bytes.size() / 2] ^= 1;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    std::vector<Person> people = retitled();
    person(people, "P8").job_title = "Lead";
    RunReport damaged = run(people);
    EXPECT_EQ(damaged.changed_records, -1) << dump(damaged);
    EXPECT_EQ(damaged.status, RunStatus::applied) << dump(damaged);
    EXPECT_EQ(users()["P8"].job_title, "Lead");
    // ...and leaves good rows for the next.
    person(people, "P9").job_title = "Lead";
    EXPECT_EQ(run(people).changed_records, 1);
}

// The last run's snapshot list is read beside the scan; one that is gone
// costs a full read, which stores a list again for the next run.
TEST_F(ChangeOnlyTest, ALastSnapshotListThatIsGoneCostsAFullRead) {
    {
        Poco::Data::Session db("SQLite", (dir_ / "state.db").string());
        db << "DELETE FROM snapshot_lists", now;
    }
    RunReport report = run(retitled());
    EXPECT_EQ(report.status, RunStatus::applied) << dump(report);
    EXPECT_EQ(report.changed_records, -1) << dump(report);
    EXPECT_EQ(users()["P5"].job_title, "Staff Engineer");
    std::vector<Person> people = retitled();
    person(people, "P8").job_title = "Lead";
    RunReport next = run(people);
    EXPECT_EQ(next.changed_records, 1) << dump(next);
    EXPECT_EQ(users()["P8"].job_title, "Lead");
}

// A record whose bytes appear twice cannot be told from its twin by hash:
// the run reads everything (the matching finds the repeat; were it missed,
// the twin's hris_id, an unchanged record's, would send it there too), and
// the full read's checks name the repeated hris_id.
TEST_F(ChangeOnlyTest, ARepeatedRecordSendsTheRunBackToAFullRead) {
    std::vector<Person> people = retitled();
    people.push_back(people[20]);
    const RunReport report = run(people);
    EXPECT_EQ(report.changed_records, -1) << dump(report);
    bool named = false;
    for (const auto& f : report.findings) named = named || f.message.find(people.back().hris_id) != std::string::npos;
    EXPECT_TRUE(named) << dump(report);
}

TEST_F(ChangeOnlyTest, AFullRunOrAFullResyncDueReadsEverything) {
    RunRequest full;
    full.full = true;
    RunReport forced = run(retitled(), full);
    EXPECT_EQ(forced.changed_records, -1) << dump(forced);
    EXPECT_EQ(users()["P5"].job_title, "Staff Engineer");

    // Set the interval short (the configuration's fingerprint leaves it out).
    std::string text;
    {
        std::ifstream in(dir_ / "peoplesync.yaml");
        std::stringstream all;
        all << in.rdbuf();
        text = all.str();
    }
    text.replace(text.find("  - name: people\n"), 17, "  - name: people\n    full_resync_every_secs: 1\n");
    pipeline_.reset();
    state_.reset();
    std::ofstream(dir_ / "peoplesync.yaml") << text;
    settings_ = load_settings(dir_ / "peoplesync.yaml");
    state_ = std::make_unique<StateStore>(settings_.state_database);
    pipeline_ = std::make_unique<Pipeline>(settings_, settings_.pipelines[0], *plugins_, *state_);
    std::vector<Person> people = retitled();
    person(people, "P8").job_title = "Lead";
    ::sleep(1);
    RunReport due = run(people);
    EXPECT_EQ(due.changed_records, -1) << dump(due);
}

}  // namespace
}  // namespace peoplesync::core
