// The admin API's directories through the real daemon: a directory synced
// by a pushed snapshot, paged, searched, one user whole, edits of unsynced
// fields (seen by the CLI) and refusals of synced ones, the department tree,
// members, bad ids and unknown directories; and `before` pages of runs and
// requests.
#include <set>

#include <sqlite3.h>

#include "directory_pages.hpp"

namespace peoplesync::daemon_test {
namespace {

class DirectoryApiTest : public DirectoryPagesTest {
protected:
    DirectoryApiTest() : DirectoryPagesTest("hris/directory") {}

    void SetUp() override {
        DaemonTest::SetUp();
        // phone_number is not synced; a second directory, and a sink that is no directory.
        write_config(
            "      - {type: directory, name: archive, database: var/archive.db}\n"
            "    sync:\n"
            "      fields: [job_title, employee_id, hire_date, departments, manager]\n"
            "  - name: outbound\n"
            "    source: {type: csv, path: people.csv}\n"
            "    sinks:\n"
            "      - {name: remote, type: webhook, url: 'http://127.0.0.1:9/hook/', api_key_env: OUTBOUND_KEY}\n");
        start({{"OUTBOUND_KEY", "outbound-key"}});
        make_credentials();
        ASSERT_EQ(admin("POST", "/pipelines/hris/enable").status, 200);
        Answer posted = post_snapshot(organisation().dump());
        ASSERT_EQ(posted.status, 202) << posted.body;
        wait_for_request(posted.parsed()["request_id"], {"applied"});
    }
};

TEST_F(DirectoryApiTest, ListsEveryDirectorySinkAndNothingElse) {
    json listed = get_json("/directories");
    ASSERT_TRUE(listed.is_array());
    std::set<std::string> refs;
    for (const auto& d : listed) {
        refs.insert(d["ref"].get<std::string>());
        EXPECT_EQ(d["type"], "directory");
        EXPECT_EQ(d["ref"], d["pipeline"].get<std::string>() + "/" + d["sink"].get<std::string>());
    }
    EXPECT_EQ(refs, (std::set<std::string>{"hris/directory", "hris/archive"}));
}

TEST_F(DirectoryApiTest, PagesGoThroughEveryUserOnce) {
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

TEST_F(DirectoryApiTest, SearchMatchesAPrefixOfIdEmailOrNameIgnoringCase) {
    EXPECT_EQ(ids_of(all_pages("q=ada")), (std::vector<std::string>{"B-1"}));
    EXPECT_EQ(ids_of(all_pages("q=ADA%20BO")), (std::vector<std::string>{"B-1"}));  // "first last"
    EXPECT_EQ(ids_of(all_pages("q=boss")), (std::vector<std::string>{"B-1"}));      // last name
    EXPECT_EQ(ids_of(all_pages("q=e2%40")), (std::vector<std::string>{"E-02"}));    // email
    EXPECT_EQ(ids_of(all_pages("q=e-1")), (std::vector<std::string>{"E-10", "E-11", "E-12", "E-13", "E-14", "E-15",
                                                                    "E-16", "E-17", "E-18", "E-19"}));  // hris_id
    std::vector<std::size_t> sizes;
    const auto stones = all_pages("q=stone&limit=10", &sizes);
    EXPECT_EQ(stones.size(), 24u);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 4}));
    json counted = get_json(users_of("q=sam"));
    EXPECT_EQ(counted["total"], 6);  // Sam: every fourth engineer
    json none = get_json(users_of("q=nobody"));
    EXPECT_TRUE(none["users"].empty());
    EXPECT_TRUE(none["next"].is_null());
    EXPECT_EQ(none["total"], 0);
}

// As a browser's URLSearchParams writes a query: a space as '+', a '+' as %2B.
TEST_F(DirectoryApiTest, AQueryReadsAPlusAsASpaceAndRefusesABrokenEscape) {
    EXPECT_EQ(ids_of(all_pages("q=ada+bo")), (std::vector<std::string>{"B-1"}));
    EXPECT_EQ(ids_of(all_pages("q=+ada+")), (std::vector<std::string>{"B-1"}));
    EXPECT_TRUE(get_json(users_of("q=ada%2Bbo"))["users"].empty());
    json broken = get_json(users_of("q=ada%zz"), 400);
    EXPECT_EQ(broken["error"], "the query is not URL-encoded: \"ada%zz\" (a % must be followed by two hex digits)");
}

TEST_F(DirectoryApiTest, AUserComesWithManagerReportsDepartmentsAndSyncedFields) {
    const std::int64_t ada = id_of("B-1");
    json boss = get_json(user_path(ada));
    EXPECT_EQ(boss["first_name"], "Ada");
    EXPECT_EQ(boss["phone_number"], "");  // not synced: the directory's people keep their own
    EXPECT_TRUE(boss["manager"].is_null());
    EXPECT_EQ(boss["report_count"], 24);
    ASSERT_EQ(boss["reports"].size(), 24u);
    EXPECT_EQ(boss["reports"][0]["name"], "Kim Stone1");
    EXPECT_EQ(boss["synced"], true);
    EXPECT_EQ(boss["synced_by"], "hris");
    std::set<std::string> synced;
    for (const auto& f : boss["synced_fields"]) synced.insert(f.get<std::string>());
    EXPECT_TRUE(synced.count("job_title"));
    EXPECT_TRUE(synced.count("email"));
    EXPECT_FALSE(synced.count("phone_number"));
    ASSERT_EQ(boss["departments"].size(), 1u);
    EXPECT_EQ(boss["departments"][0]["path"], "Engineering");
    EXPECT_EQ(boss["departments"][0]["synced"], true);

    json engineer = get_json(user_path(id_of("E-07")));
    EXPECT_EQ(engineer["manager"]["id"], ada);
    EXPECT_EQ(engineer["manager"]["name"], "Ada Boss");
    EXPECT_EQ(engineer["manager"]["hris_id"], "B-1");
    EXPECT_EQ(engineer["departments"][0]["path"], "Engineering > Mobile");
    EXPECT_TRUE(engineer["reports"].empty());
}

TEST_F(DirectoryApiTest, APatchOfAnUnsyncedFieldIsMadeAndTheCliSeesIt) {
    const std::int64_t ada = id_of("B-1");
    Answer patched = admin("PATCH", user_path(ada), {{"phone_number", "+1 415 555 0199"}});
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(patched.parsed()["phone_number"], "+1 415 555 0199");
    EXPECT_EQ(patched.parsed()["job_title"], "CTO");
    Output shown = cli({"directory", "--pipeline", "hris", "--sink", "directory", "show", "B-1"});
    ASSERT_EQ(shown.status, 0) << shown.err;
    EXPECT_NE(shown.out.find("phone_number  +1 415 555 0199"), std::string::npos) << shown.out;
    EXPECT_EQ(get_json(user_path(ada))["phone_number"], "+1 415 555 0199");
}

TEST_F(DirectoryApiTest, APatchOfASyncedFieldIsRefusedNamingItAndItsPipelineAndChangesNothing) {
    const std::int64_t ada = id_of("B-1");
    Answer refused = admin("PATCH", user_path(ada), {{"phone_number", "+1 000"}, {"job_title", "Chief"}});
    EXPECT_EQ(refused.status, 409) << refused.body;
    const std::string error = refused.parsed().value("error", "");
    EXPECT_NE(error.find("job_title of B-1 is synced from the HRIS and read-only here (pipeline hris syncs it)"),
              std::string::npos)
        << error;
    json now = get_json(user_path(ada));
    EXPECT_EQ(now["job_title"], "CTO");
    EXPECT_EQ(now["phone_number"], "");  // not half of the edit either
    Output shown = cli({"directory", "--pipeline", "hris", "--sink", "directory", "show", "B-1"});
    EXPECT_NE(shown.out.find("job_title     CTO"), std::string::npos) << shown.out;
}

TEST_F(DirectoryApiTest, APatchWithABadFieldOrValueIsA400) {
    const std::string ada = user_path(id_of("B-1"));
    auto error_of = [&](const json& body) {
        Answer answer = admin("PATCH", ada, body);
        EXPECT_EQ(answer.status, 400) << body.dump() << ": " << answer.body;
        return answer.parsed().value("error", "");
    };
    // phone_number alone would be made; with a field that is not, neither is.
    EXPECT_NE(
        error_of({{"phone_number", "+1 999"}, {"salary", "1"}}).find("\"salary\" is not a field one can set here"),
        std::string::npos);
    EXPECT_EQ(error_of({{"phone_number", 12}}), "phone_number: expected a text, true or false, or null, not 12");
    EXPECT_EQ(error_of(json::object()), "nothing to change: the body names no field (e.g. {\"job_title\": \"...\"})");
    Answer not_json = http("PATCH", "/admin/v1" + ada, "{phone", {{"Authorization", "Bearer " + admin_token}});
    EXPECT_EQ(not_json.status, 400);
    EXPECT_EQ(get_json(ada)["phone_number"], "");
}

TEST_F(DirectoryApiTest, TheDepartmentTreeHasChainFlagsCountsAndMembers) {
    // A department the directory's own people made: no chain.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "var" / "directory.db").string().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO departments(parent_id, name, synced) VALUES(0, 'Ops', 0)", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(db);

    json tree = get_json("/directories/hris/directory/departments");
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

    const std::string mobile = "/directories/hris/directory/departments/" + std::to_string(tree[1]["id"].get<int>());
    std::set<std::int64_t> members;
    std::string after;
    int pages = 0;
    do {
        json page = get_json(mobile + "/members?limit=10" + (after.empty() ? "" : "&after=" + after));
        EXPECT_EQ(page["total"], 24);
        for (const auto& u : page["users"]) members.insert(u["id"].get<std::int64_t>());
        after = page["next"].is_null() ? "" : page["next"].get<std::string>();
        ++pages;
    } while (!after.empty() && pages < 10);
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(members.size(), 24u);
}

TEST_F(DirectoryApiTest, BadIdsAndUnknownDirectoriesAreClearErrors) {
    auto error_of = [&](const std::string& method, const std::string& path, int status) {
        Answer answer = admin(method, path);
        EXPECT_EQ(answer.status, status) << method << " " << path << ": " << answer.body;
        return answer.parsed().value("error", "");
    };
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/users/abc", 400),
              "a user id must be a positive number, not \"abc\"");
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/users/999999", 404),
              "directory hris/directory has no user 999999");
    EXPECT_EQ(error_of("PATCH", "/directories/hris/directory/users/999999", 400),
              "nothing to change: the body names no field (e.g. {\"job_title\": \"...\"})");
    Answer ghost = admin("PATCH", "/directories/hris/directory/users/999999", {{"job_title", "x"}});
    EXPECT_EQ(ghost.status, 404) << ghost.body;
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/departments/0/members", 400),
              "a department id must be a positive number, not \"0\"");
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/departments/999999/members", 404),
              "directory hris/directory has no department 999999");
    EXPECT_EQ(error_of("GET", "/directories/nope/directory/users", 404), "there is no pipeline \"nope\"");
    EXPECT_EQ(error_of("GET", "/directories/hris/nope/users", 404), "pipeline hris has no sink \"nope\"");
    EXPECT_EQ(error_of("GET", "/directories/outbound/remote/users", 404),
              "sink \"remote\" of pipeline outbound (type webhook) is not a directory one can browse");
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/users?after=zzz", 400),
              "\"zzz\" is not where a page of this directory ends (pass a page's \"next\")");
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/users?limit=0", 400),
              "limit must be a positive number, not \"0\"");
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/users?limit=5000", 400),
              "limit must be at most 1000, not 5000");
    EXPECT_EQ(error_of("GET", "/directories/hris/directory/users?q=%FF", 400),
              "the search \"\xef\xbf\xbd\" is not valid UTF-8");
    Answer wrong_method = admin("DELETE", "/directories/hris/directory/users/1");
    EXPECT_EQ(wrong_method.status, 405);
    EXPECT_EQ(wrong_method.headers["Allow"], "GET, PATCH");
    EXPECT_EQ(admin("POST", "/directories/hris/directory/users").status, 405);
    EXPECT_EQ(error_of("GET", "/directories/hris", 404),
              "name a directory as /admin/v1/directories/PIPELINE/SINK/users (or /departments)");
    // The archive holds the same people, through its own sink.
    EXPECT_EQ(get_json("/directories/hris/archive/users")["total"], 25);
}

TEST_F(DirectoryApiTest, RunsAndRequestsPageBackwardsWithBefore) {
    for (int i = 0; i < 3; ++i) {
        Answer posted = post_snapshot(organisation().dump());
        ASSERT_EQ(posted.status, 202) << posted.body;
        wait_for_request(posted.parsed()["request_id"], {"applied", "noop"});
    }
    auto ids = [](const json& list, const char* key) {
        std::vector<std::int64_t> out;
        for (const auto& item : list) out.push_back(item[key].get<std::int64_t>());
        return out;
    };
    const auto requests = ids(get_json("/requests?pipeline=hris&limit=100"), "id");
    ASSERT_EQ(requests.size(), 4u);
    const auto first = ids(get_json("/requests?limit=2"), "id");
    EXPECT_EQ(first, (std::vector<std::int64_t>{requests[0], requests[1]}));
    const auto second = ids(get_json("/requests?limit=2&before=" + std::to_string(first.back())), "id");
    EXPECT_EQ(second, (std::vector<std::int64_t>{requests[2], requests[3]}));
    EXPECT_TRUE(get_json("/requests?pipeline=hris&before=" + std::to_string(requests[3])).empty());

    const auto runs = ids(get_json("/runs?pipeline=hris&limit=100"), "run");
    ASSERT_GE(runs.size(), 4u);
    const auto older = ids(get_json("/runs?pipeline=hris&limit=2&before=" + std::to_string(runs[1])), "run");
    EXPECT_EQ(older, (std::vector<std::int64_t>{runs[2], runs[3]}));
    EXPECT_EQ(get_json("/runs?before=x", 400)["error"], "before must be a positive number, not \"x\"");
}

}  // namespace
}  // namespace peoplesync::daemon_test
