// What the directory tests share: the organisation they sync, and a daemon
// test that reads one directory's users through the admin API, page by page.
// Used by directory_api_test.cpp (SQLite only) and by the suite that runs
// on both directory sinks (plugins/sink-postgres/tests/pg_directory_api_test.cpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {

// Ada leads Engineering; 24 engineers in its Mobile team report to her.
inline json organisation() {
    json users = json::array();
    users.push_back({{"hris_id", "B-1"},
                     {"first_name", "Ada"},
                     {"last_name", "Boss"},
                     {"email", "ada.boss@example.com"},
                     {"job_title", "CTO"},
                     {"departments", {"Engineering"}},
                     {"active", true}});
    const char* firsts[] = {"Sam", "Kim", "Lee", "Ray"};
    for (int i = 1; i <= 24; ++i) {
        char id[8];
        std::snprintf(id, sizeof id, "E-%02d", i);
        users.push_back({{"hris_id", id},
                         {"first_name", firsts[i % 4]},
                         {"last_name", "Stone" + std::to_string(i)},
                         {"email", "e" + std::to_string(i) + "@example.com"},
                         {"job_title", "Engineer"},
                         {"departments", {"Engineering > Mobile"}},
                         {"manager", {{"hris_id", "B-1"}}},
                         {"active", true}});
    }
    return json{{"users", users}};
}

// A daemon test that browses the directory `ref` ("pipeline/sink").
class DirectoryPagesTest : public DaemonTest {
protected:
    explicit DirectoryPagesTest(std::string ref) : ref_(std::move(ref)), directory_("/directories/" + ref_) {}

    std::string users_of(const std::string& query = "") const {
        return directory_ + "/users" + (query.empty() ? "" : "?" + query);
    }

    std::string user_path(std::int64_t id) const { return directory_ + "/users/" + std::to_string(id); }

    std::string department_path(std::int64_t id) const { return directory_ + "/departments/" + std::to_string(id); }

    json get_json(const std::string& path, int status = 200) {
        Answer answer = admin("GET", path);
        EXPECT_EQ(answer.status, status) << path << ": " << answer.body;
        return answer.parsed();
    }

    // The users of every page of `list` (a directory's users or a
    // department's members, with a query), following "next"; each page's
    // size and total in `sizes` and `totals` when given.
    std::vector<json> every_page(const std::string& list, std::vector<std::size_t>* sizes = nullptr,
                                 std::vector<json>* totals = nullptr) {
        std::vector<json> out;
        const std::string then = list.find('?') == std::string::npos ? "?after=" : "&after=";
        std::string after;
        for (int pages = 0; pages < 1000; ++pages) {
            json page = get_json(list + (after.empty() ? "" : then + after));
            if (!page.is_object()) break;
            if (sizes) sizes->push_back(page["users"].size());
            if (totals) totals->push_back(page["total"]);
            for (const auto& u : page["users"]) out.push_back(u);
            if (page["next"].is_null()) return out;
            after = page["next"].get<std::string>();
        }
        ADD_FAILURE() << "the pages of " << list << " never end";
        return out;
    }

    // Every page of the directory's users that match `query`.
    std::vector<json> all_pages(const std::string& query, std::vector<std::size_t>* sizes = nullptr) {
        return every_page(users_of(query), sizes);
    }

    static std::vector<std::string> ids_of(const std::vector<json>& users) {
        std::vector<std::string> out;
        for (const auto& u : users) out.push_back(u["hris_id"].get<std::string>());
        return out;
    }

    std::int64_t id_of(const std::string& hris_id) {
        json page = get_json(users_of("q=" + hris_id));
        for (const auto& u : page["users"])
            if (u["hris_id"] == hris_id) return u["id"].get<std::int64_t>();
        ADD_FAILURE() << "no " << hris_id;
        return 0;
    }

    const std::string ref_;        // "pipeline/sink"
    const std::string directory_;  // its admin API path, below /admin/v1
};

}  // namespace peoplesync::daemon_test
