// The memberships a directory's index lists as outside the sync: each once,
// whether its user, its department or both are not synced.
#include <algorithm>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <peoplesync/change_only.hpp>

#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync {
namespace {

using namespace Poco::Data::Keywords;

TEST(DirectoryIndex, AMembershipOutsideTheSyncIsListedOnce) {
    const auto dir = testing::fresh_test_dir("peoplesync-directory-index");
    testing::TestHost host(dir);
    {
        auto sink = testing::built_plugins().make_sink(
            "directory", core::parse_config_text("database: directory.db\n", "sink.yaml"), host);
        sink->load_index();  // makes the database
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session db("SQLite", (dir / "directory.db").string());
        db << "INSERT INTO users(id, email, first_name) VALUES(90, 'hand@example.com', 'Hand')", now;
        db << "INSERT INTO departments(id, parent_id, name, synced) VALUES(500, 0, 'Ops', 0)", now;
        db << "INSERT INTO departments(id, parent_id, name, synced) VALUES(501, 0, 'Eng', 1)", now;
        db << "INSERT INTO memberships(user_id, department_id) VALUES(90, 500), (90, 501)", now;

        auto listed = [](const DestinationIndex& index) {
            std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
            for (const auto& m : index.memberships_outside_sync) pairs.emplace_back(m.user_id, m.department_id);
            std::sort(pairs.begin(), pairs.end());
            return pairs;
        };
        const std::vector<std::pair<std::int64_t, std::int64_t>> expected = {{90, 500}, {90, 501}};
        EXPECT_EQ(listed(sink->load_index()), expected);
        const auto some = dynamic_cast<ChangeOnlyApplier&>(*sink).load_index_for(std::vector<std::string>{"nobody"});
        ASSERT_TRUE(some.has_value());
        EXPECT_EQ(listed(*some), expected);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peoplesync
