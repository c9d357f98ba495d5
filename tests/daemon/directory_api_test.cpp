// The admin API's directories through the real daemon, where only the
// SQLite directory sink is needed: the list of every directory sink, a
// query's escapes, and `before` pages of runs and requests. What a directory
// answers (pages, search, a user, edits, departments, errors) is tested on
// both directory sinks, SQLite among them, by
// plugins/sink-postgres/tests/pg_directory_api_test.cpp.
#include <set>

#include "directory_pages.hpp"

namespace peoplesync::daemon_test {
namespace {

class DirectoryApiTest : public DirectoryPagesTest {
protected:
    DirectoryApiTest() : DirectoryPagesTest("hris/directory") {}

    void SetUp() override {
        DaemonTest::SetUp();
        // A second directory, and a sink that is no directory (listed, and not).
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
    // The archive holds the same people, through its own sink.
    EXPECT_EQ(get_json("/directories/hris/archive/users")["total"], 25);
}

// As a browser's URLSearchParams writes a query: a space as '+', a '+' as %2B.
TEST_F(DirectoryApiTest, AQueryReadsAPlusAsASpaceAndRefusesABrokenEscape) {
    EXPECT_EQ(ids_of(all_pages("q=ada+bo")), (std::vector<std::string>{"B-1"}));
    EXPECT_EQ(ids_of(all_pages("q=+ada+")), (std::vector<std::string>{"B-1"}));
    EXPECT_TRUE(get_json(users_of("q=ada%2Bbo"))["users"].empty());
    json broken = get_json(users_of("q=ada%zz"), 400);
    EXPECT_EQ(broken["error"], "the query is not URL-encoded: \"ada%zz\" (a % must be followed by two hex digits)");
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
