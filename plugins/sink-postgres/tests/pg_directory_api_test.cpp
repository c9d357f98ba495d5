// The directory's commands and admin API on both directory sinks, from one
// set of tests: `peoplesync directory show|set` through the real CLI, and
// the admin API's directory endpoints (what the console's People page asks)
// through a real peoplesyncd, against the `directory` sink (SQLite) and the
// `postgres` sink (PostgreSQL 15). The same organisation in each: Ada leads
// Engineering, 24 engineers of its Mobile team report to her. The SQLite
// directory and the PostgreSQL one are filled by the same pushed snapshot's run.
#include <set>

#include <sqlite3.h>

#include "connection.hpp"
#include "directory_pages.hpp"
#include "pg_server.hpp"

namespace peoplesync::postgres_test {
namespace {

using daemon_test::Answer;
using daemon_test::json;
using daemon_test::organisation;
using testing::Output;

constexpr const char* password_variable = "PEOPLESYNC_TEST_PG_PASSWORD";

class DirectoryOnEitherSink : public daemon_test::DirectoryPagesTest,
                              public ::testing::WithParamInterface<std::string> {
protected:
    DirectoryOnEitherSink() : DirectoryPagesTest("hris/people") {}

    bool postgres() const { return GetParam() == "postgres"; }

    void SetUp() override {
        DaemonTest::SetUp();
        std::string sink = "{type: directory, name: people, database: var/directory.db}";
        if (postgres()) {
            database_ = fresh_database();
            sink = "{type: postgres, name: people, dsn: '" + pg_server().dsn(database_) +
                   "', password_env: " + password_variable + ", schema: people}";
        }
        // phone_number is not synced; a second pipeline whose sink is no directory.
        std::ofstream(config()) << "state_database: var/state.db\n"
                                   "http:\n"
                                   "  listen: 127.0.0.1:0\n"
                                   "admin:\n"
                                   "  token: "
                                << daemon_test::admin_token
                                << "\n"
                                   "log:\n"
                                   "  target: file\n"
                                   "  path: daemon.log\n"
                                   "pipelines:\n"
                                   "  - name: hris\n"
                                   "    source: {type: webhook}\n"
                                   "    sinks:\n"
                                   "      - "
                                << sink
                                << "\n"
                                   "    sync:\n"
                                   "      fields: [job_title, employee_id, hire_date, departments, manager]\n"
                                   "  - name: outbound\n"
                                   "    source: {type: csv, path: people.csv}\n"
                                   "    sinks:\n"
                                   "      - {name: remote, type: webhook, url: 'http://127.0.0.1:9/hook/', "
                                   "api_key_env: OUTBOUND_KEY}\n";
        ::setenv(password_variable, PgServer::sink_password, 1);
        ::setenv("OUTBOUND_KEY", "outbound-key", 1);  // for the CLI, which reads the configuration too
        start({{"OUTBOUND_KEY", "outbound-key"}, {password_variable, PgServer::sink_password}});
        // Both directories filled by the same real run.
        make_credentials();
        ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
        Answer posted = post_snapshot(organisation().dump());
        ASSERT_EQ(posted.status, 202) << posted.body;
        wait_for_request(posted.parsed()["request_id"], {"applied"});
    }

    void TearDown() override {
        DaemonTest::TearDown();
        ::unsetenv(password_variable);
        ::unsetenv("OUTBOUND_KEY");
    }

    postgres::Connection& pg() {
        if (!pg_) {
            postgres::ConnectionSettings settings;
            settings.dsn = pg_server().dsn(database_);
            settings.password = PgServer::sink_password;
            pg_ = std::make_unique<postgres::Connection>(settings);
        }
        return *pg_;
    }

    // Runs SQL (that both databases take) on the directory's tables.
    void sql(const std::string& statement) {
        if (postgres()) {
            pg().execute("SET search_path = people; " + statement);
            return;
        }
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ / "var" / "directory.db").string().c_str(), &db), SQLITE_OK);
        char* error = nullptr;
        const int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error);
        const std::string message = error != nullptr ? error : "";
        sqlite3_free(error);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << message;
    }

    // The audit rows of edits: "user_id field: old -> new", in order.
    std::vector<std::string> edits_audited() {
        const std::string select =
            "SELECT user_id || ' ' || field || ': ' || old_value || ' -> ' || new_value FROM audit_log "
            "WHERE run_id = 0 AND action = 'edited' ORDER BY id";
        std::vector<std::string> out;
        if (postgres()) {
            const postgres::Result rows = pg().execute("SET search_path = people; " + select);
            for (int row = 0; row < rows.rows(); ++row) out.emplace_back(rows.text(row, 0));
            return out;
        }
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open((dir_ / "var" / "directory.db").string().c_str(), &db), SQLITE_OK);
        sqlite3_exec(
            db, select.c_str(),
            [](void* to, int, char** values, char**) {
                static_cast<std::vector<std::string>*>(to)->emplace_back(values[0]);
                return 0;
            },
            &out, nullptr);
        sqlite3_close(db);
        return out;
    }

    std::string database_;
    std::unique_ptr<postgres::Connection> pg_;
};

INSTANTIATE_TEST_SUITE_P(Sinks, DirectoryOnEitherSink, ::testing::Values("directory", "postgres"),
                         [](const auto& sink) { return sink.param; });

TEST_P(DirectoryOnEitherSink, IsListedAsADirectoryWithItsType) {
    json listed = get_json("/directories");
    ASSERT_TRUE(listed.is_array());
    ASSERT_EQ(listed.size(), 1u) << listed.dump();
    EXPECT_EQ(listed[0]["ref"], ref_);
    EXPECT_EQ(listed[0]["type"], GetParam());
}

TEST_P(DirectoryOnEitherSink, PagesGoThroughEveryUserOnce) {
    std::vector<std::size_t> sizes;
    const auto users = all_pages("limit=7", &sizes);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{7, 7, 7, 4}));
    ASSERT_EQ(users.size(), 25u);
    std::set<std::int64_t> ids;
    for (std::size_t i = 0; i < users.size(); ++i) {
        ids.insert(users[i]["id"].get<std::int64_t>());
        if (i > 0) {
            EXPECT_LT(users[i - 1]["id"], users[i]["id"]);
        }
        EXPECT_EQ(users[i]["synced"], true);
        EXPECT_EQ(users[i]["active"], true);
    }
    EXPECT_EQ(ids.size(), 25u);
    EXPECT_EQ(users[0]["hris_id"], "B-1");
    EXPECT_EQ(users[0]["email"], "ada.boss@example.com");
    EXPECT_EQ(users[0]["job_title"], "CTO");
    EXPECT_EQ(get_json(users_of("limit=7"))["total"], 25);
    // The default page is 50: everyone at once, and no next.
    json whole = get_json(users_of());
    EXPECT_EQ(whole["users"].size(), 25u);
    EXPECT_TRUE(whole["next"].is_null());
}

TEST_P(DirectoryOnEitherSink, SearchMatchesAPrefixOfIdEmailOrNameIgnoringCase) {
    // Before the first search: the SQLite directory's search table sees
    // users added by SQL from elsewhere when it is read.
    sql("INSERT INTO users(hris_id, email, first_name, last_name) VALUES ('U-5', 'u5@example.com', 'Eve', 'Émond')");
    EXPECT_EQ(ids_of(all_pages("q=ada")), (std::vector<std::string>{"B-1"}));
    EXPECT_EQ(ids_of(all_pages("q=ADA%20BO")), (std::vector<std::string>{"B-1"}));  // "first last"
    EXPECT_EQ(ids_of(all_pages("q=boss")), (std::vector<std::string>{"B-1"}));      // last name
    EXPECT_EQ(ids_of(all_pages("q=e2%40")), (std::vector<std::string>{"E-02"}));    // email
    EXPECT_EQ(ids_of(all_pages("q=e-1")), (std::vector<std::string>{"E-10", "E-11", "E-12", "E-13", "E-14", "E-15",
                                                                    "E-16", "E-17", "E-18", "E-19"}));  // hris_id
    EXPECT_TRUE(all_pages("q=oss").empty());  // a prefix, not anywhere in a key
    std::vector<std::size_t> sizes;
    EXPECT_EQ(all_pages("q=stone&limit=10", &sizes).size(), 24u);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 4}));
    EXPECT_EQ(get_json(users_of("q=sam"))["total"], 6);
    json none = get_json(users_of("q=nobody"));
    EXPECT_TRUE(none["users"].empty());
    EXPECT_TRUE(none["next"].is_null());
    EXPECT_EQ(none["total"], 0);
    // ASCII case only: a non-ASCII letter matches itself, not its capital.
    EXPECT_EQ(ids_of(all_pages("q=%C3%89mond")), (std::vector<std::string>{"U-5"}));
    EXPECT_TRUE(all_pages("q=%C3%A9mond").empty());
}

TEST_P(DirectoryOnEitherSink, AUserComesWithManagerReportsDepartmentsAndSyncedFields) {
    const std::int64_t ada = id_of("B-1");
    json boss = get_json(user_path(ada));
    EXPECT_EQ(boss["first_name"], "Ada");
    EXPECT_EQ(boss["phone_number"], "");
    EXPECT_TRUE(boss["manager"].is_null());
    EXPECT_EQ(boss["report_count"], 24);
    ASSERT_EQ(boss["reports"].size(), 24u);
    EXPECT_EQ(boss["reports"][0]["name"], "Kim Stone1");
    EXPECT_EQ(boss["reports"][0]["hris_id"], "E-01");
    EXPECT_EQ(boss["synced"], true);
    EXPECT_EQ(boss["synced_by"], "hris");
    std::set<std::string> synced;
    for (const auto& f : boss["synced_fields"]) synced.insert(f.get<std::string>());
    EXPECT_TRUE(synced.count("job_title"));
    EXPECT_TRUE(synced.count("email"));
    EXPECT_TRUE(synced.count("manager"));
    EXPECT_FALSE(synced.count("phone_number"));
    ASSERT_EQ(boss["departments"].size(), 1u);
    EXPECT_EQ(boss["departments"][0]["path"], "Engineering");
    EXPECT_EQ(boss["departments"][0]["synced"], true);
    EXPECT_FALSE(boss["updated_at"].get<std::string>().empty());

    json engineer = get_json(user_path(id_of("E-07")));
    EXPECT_EQ(engineer["manager"]["id"], ada);
    EXPECT_EQ(engineer["manager"]["name"], "Ada Boss");
    EXPECT_EQ(engineer["manager"]["hris_id"], "B-1");
    EXPECT_EQ(engineer["departments"][0]["path"], "Engineering > Mobile");
    EXPECT_TRUE(engineer["reports"].empty());
    EXPECT_EQ(engineer["report_count"], 0);
}

TEST_P(DirectoryOnEitherSink, APatchOfUnsyncedFieldsIsMadeAuditedAndTheCliSeesIt) {
    const std::int64_t ada = id_of("B-1");
    Answer patched = admin("PATCH", user_path(ada), {{"phone_number", "+1 415 555 0199"}, {"employee_id", nullptr}});
    // employee_id is synced: nothing of the edit is made.
    EXPECT_EQ(patched.status, 409) << patched.body;
    patched = admin("PATCH", user_path(ada), {{"phone_number", "+1 415 555 0199"}});
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(patched.parsed()["phone_number"], "+1 415 555 0199");
    EXPECT_EQ(patched.parsed()["job_title"], "CTO");
    EXPECT_EQ(patched.parsed()["report_count"], 24);
    // The sink named here; TheCliShowsAndSetsAUserWithoutBeingToldWhichSink finds it alone.
    Output shown = cli({"directory", "--pipeline", "hris", "--sink", "people", "show", "B-1"});
    ASSERT_EQ(shown.status, 0) << shown.err;
    EXPECT_NE(shown.out.find("phone_number  +1 415 555 0199"), std::string::npos) << shown.out;
    EXPECT_EQ(get_json(user_path(ada))["phone_number"], "+1 415 555 0199");
    EXPECT_EQ(edits_audited(), (std::vector<std::string>{std::to_string(ada) + " phone_number:  -> +1 415 555 0199"}));
}

TEST_P(DirectoryOnEitherSink, APatchOfASyncedFieldIsRefusedNamingItAndItsPipelineAndChangesNothing) {
    const std::int64_t ada = id_of("B-1");
    Answer refused = admin("PATCH", user_path(ada), {{"phone_number", "+1 000"}, {"job_title", "Chief"}});
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_EQ(refused.parsed().value("error", ""),
              "job_title of B-1 is synced from the HRIS and read-only here (pipeline hris syncs it); change it in "
              "the HRIS, or sync fewer fields");
    json now = get_json(user_path(ada));
    EXPECT_EQ(now["job_title"], "CTO");
    EXPECT_EQ(now["phone_number"], "");  // not half of the edit either
    EXPECT_TRUE(edits_audited().empty());
    Output shown = cli({"directory", "--pipeline", "hris", "--sink", "people", "show", "B-1"});
    EXPECT_NE(shown.out.find("job_title     CTO"), std::string::npos) << shown.out;
}

TEST_P(DirectoryOnEitherSink, APatchWithABadFieldOrValueIsA400) {
    const std::int64_t ada = id_of("B-1");
    sql("INSERT INTO users(hris_id, email, first_name, last_name) VALUES ('U-1', 'una@example.com', 'Una', 'Own')");
    const std::string una = user_path(id_of("U-1"));
    auto error_of = [&](const std::string& user, const json& body) {
        Answer answer = admin("PATCH", user, body);
        EXPECT_EQ(answer.status, 400) << user << " " << body.dump() << ": " << answer.body;
        return answer.parsed().value("error", "");
    };
    // phone_number alone would be made; with a field that is not, neither
    // is: on a synced user (a 400, not the 409 of a synced field) as on one
    // nobody syncs.
    for (const std::string& user : {user_path(ada), una})
        EXPECT_NE(error_of(user, {{"phone_number", "+1 999"}, {"salary", "1"}})
                      .find("\"salary\" is not a field one can set here"),
                  std::string::npos);
    EXPECT_EQ(error_of(user_path(ada), {{"phone_number", 12}}),
              "phone_number: expected a text, true or false, or null, not 12");
    EXPECT_EQ(error_of(user_path(ada), json::object()),
              "nothing to change: the body names no field (e.g. {\"job_title\": \"...\"})");
    Answer not_json = http("PATCH", "/admin/v1" + user_path(ada), "{phone",
                           {{"Authorization", "Bearer " + daemon_test::admin_token}});
    EXPECT_EQ(not_json.status, 400);
    EXPECT_EQ(get_json(user_path(ada))["phone_number"], "");
    EXPECT_EQ(get_json(una)["phone_number"], "");
    EXPECT_EQ(error_of(una, {{"active", "maybe"}}), "active takes true or false, not \"maybe\"");
    EXPECT_EQ(error_of(una, {{"email", "una@"}}), "\"una@\" is not an email address");
    EXPECT_EQ(error_of(una, {{"hris_id", "E-01"}}), "hris_id \"E-01\" already belongs to another user");
    EXPECT_EQ(error_of(una, {{"manager", "nobody"}}), "no user \"nobody\" to be the manager");
    EXPECT_EQ(error_of(una, {{"manager", "U-1"}}), "a user cannot manage themselves");
    // Every field of a user nobody syncs is theirs: the manager (by email,
    // ignoring case), active and the hris_id too.
    Answer made =
        admin("PATCH", una,
              {{"manager", "ADA.Boss@example.com"}, {"active", false}, {"hris_id", "U-9"}, {"job_title", "Ops"}});
    ASSERT_EQ(made.status, 200) << made.body;
    EXPECT_EQ(made.parsed()["manager"]["id"], ada);
    EXPECT_EQ(made.parsed()["active"], false);
    EXPECT_EQ(made.parsed()["hris_id"], "U-9");
    EXPECT_EQ(get_json(user_path(ada))["report_count"], 25);
    EXPECT_EQ(edits_audited().size(), 4u);
}

TEST_P(DirectoryOnEitherSink, TheDepartmentTreeHasFlagsCountsAndMembers) {
    sql("INSERT INTO departments(parent_id, name, synced) VALUES (0, 'Ops', false)");
    json tree = get_json(directory_ + "/departments");
    ASSERT_EQ(tree.size(), 3u) << tree.dump();
    EXPECT_EQ(tree[0]["path"], "Engineering");
    EXPECT_EQ(tree[0]["name"], "Engineering");
    EXPECT_TRUE(tree[0]["parent_id"].is_null());
    EXPECT_EQ(tree[0]["synced"], true);
    EXPECT_EQ(tree[0]["members"], 1);
    EXPECT_EQ(tree[1]["path"], "Engineering > Mobile");
    EXPECT_EQ(tree[1]["name"], "Mobile");
    EXPECT_EQ(tree[1]["parent_id"], tree[0]["id"]);
    EXPECT_EQ(tree[1]["synced"], true);
    EXPECT_EQ(tree[1]["members"], 24);
    EXPECT_EQ(tree[2]["path"], "Ops");
    EXPECT_EQ(tree[2]["synced"], false);
    EXPECT_EQ(tree[2]["members"], 0);

    std::vector<std::size_t> sizes;
    std::vector<json> totals;
    std::set<std::int64_t> members;
    for (const auto& u :
         every_page(department_path(tree[1]["id"].get<std::int64_t>()) + "/members?limit=10", &sizes, &totals))
        members.insert(u["id"].get<std::int64_t>());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 4}));
    EXPECT_EQ(totals, std::vector<json>(3, 24));
    EXPECT_EQ(members.size(), 24u);
    EXPECT_EQ(get_json(department_path(tree[2]["id"].get<std::int64_t>()) + "/members")["total"], 0);
}

TEST_P(DirectoryOnEitherSink, BadIdsCursorsAndUnknownDirectoriesAreClearErrors) {
    struct Refusal {
        std::string method, path;
        json body;
        int status;
        std::string error;
    };
    const std::string users = directory_ + "/users";
    const std::string nothing_to_change = "nothing to change: the body names no field (e.g. {\"job_title\": \"...\"})";
    const std::string not_a_page_end = " is not where a page of this directory ends (pass a page's \"next\")";
    const std::vector<Refusal> refusals = {
        {"GET", users + "/abc", nullptr, 400, "a user id must be a positive number, not \"abc\""},
        {"GET", users + "/999999", nullptr, 404, "directory " + ref_ + " has no user 999999"},
        {"PATCH", users + "/999999", nullptr, 400, nothing_to_change},
        {"PATCH", users + "/999999", json{{"job_title", "x"}}, 404, "directory " + ref_ + " has no user 999999"},
        {"GET", directory_ + "/departments/0/members", nullptr, 400,
         "a department id must be a positive number, not \"0\""},
        {"GET", department_path(999999) + "/members", nullptr, 404, "directory " + ref_ + " has no department 999999"},
        {"GET", users + "?after=zzz", nullptr, 400, "\"zzz\"" + not_a_page_end},
        {"GET", department_path(1) + "/members?after=-3", nullptr, 400, "\"-3\"" + not_a_page_end},
        {"GET", users + "?limit=0", nullptr, 400, "limit must be a positive number, not \"0\""},
        {"GET", users + "?limit=5000", nullptr, 400, "limit must be at most 1000, not 5000"},
        {"GET", users + "?q=%FF", nullptr, 400, "the search \"\xef\xbf\xbd\" is not valid UTF-8"},
        {"GET", "/directories/nope/people/users", nullptr, 404, "there is no pipeline \"nope\""},
        {"GET", "/directories/hris/nope/users", nullptr, 404, "pipeline hris has no sink \"nope\""},
        {"GET", "/directories/outbound/remote/users", nullptr, 404,
         "sink \"remote\" of pipeline outbound (type webhook) is not a directory one can browse"},
        {"GET", "/directories/hris", nullptr, 404,
         "name a directory as /admin/v1/directories/PIPELINE/SINK/users (or /departments)"},
    };
    for (const auto& [method, path, body, status, error] : refusals) {
        Answer answer = admin(method, path, body);
        EXPECT_EQ(answer.status, status) << method << " " << path << ": " << answer.body;
        EXPECT_EQ(answer.parsed().value("error", ""), error) << method << " " << path;
    }
    Answer wrong_method = admin("DELETE", users + "/1");
    EXPECT_EQ(wrong_method.status, 405);
    EXPECT_EQ(wrong_method.headers["Allow"], "GET, PATCH");
    EXPECT_EQ(admin("POST", users).status, 405);
}

TEST_P(DirectoryOnEitherSink, TheCliShowsAndSetsAUserWithoutBeingToldWhichSink) {
    Output shown = cli({"directory", "show", "ADA.BOSS@example.com"});
    ASSERT_EQ(shown.status, 0) << shown.err;
    EXPECT_NE(shown.out.find("hris_id       B-1\n"), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("job_title     CTO\n"), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("departments   Engineering\n"), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("synced        yes: "), std::string::npos) << shown.out;
    Output engineer = cli({"directory", "show", "E-05"});
    EXPECT_NE(engineer.out.find("manager       B-1\n"), std::string::npos) << engineer.out;
    EXPECT_NE(engineer.out.find("departments   Engineering > Mobile\n"), std::string::npos) << engineer.out;

    Output refused = cli({"directory", "set", "B-1", "job_title", "Chief"});
    EXPECT_EQ(refused.status, 1);
    EXPECT_NE(refused.err.find("job_title of B-1 is synced from the HRIS and read-only here (pipeline hris syncs it); "
                               "change it in the HRIS, or sync fewer fields"),
              std::string::npos)
        << refused.err;
    Output unknown = cli({"directory", "set", "B-1", "salary", "1"});
    EXPECT_EQ(unknown.status, 1);
    EXPECT_NE(unknown.err.find("\"salary\" is not a field one can set here (fields: hris_id, first_name"),
              std::string::npos)
        << unknown.err;
    Output nobody = cli({"directory", "show", "X-404"});
    EXPECT_EQ(nobody.status, 1);

    Output set = cli({"directory", "set", "e5@example.com", "phone_number", "+1 555 0100"});
    ASSERT_EQ(set.status, 0) << set.err;
    EXPECT_EQ(set.out, "updated phone_number of e5@example.com\n");
    EXPECT_NE(cli({"directory", "show", "E-05"}).out.find("phone_number  +1 555 0100\n"), std::string::npos);
    EXPECT_EQ(get_json(user_path(id_of("E-05")))["phone_number"], "+1 555 0100");
    EXPECT_EQ(edits_audited(),
              (std::vector<std::string>{std::to_string(id_of("E-05")) + " phone_number:  -> +1 555 0100"}));
    EXPECT_EQ(get_json(user_path(id_of("B-1")))["job_title"], "CTO");
}

}  // namespace
}  // namespace peoplesync::postgres_test
