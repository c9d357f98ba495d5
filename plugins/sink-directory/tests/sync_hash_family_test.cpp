// The directory keeps the family of its users' sync hashes beside them
// (directory_meta) and reports it in its index: each run records the one it
// wrote; a directory written before families were recorded reports the first,
// so that its hashes are compared whole once rather than trusted.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <peoplesync/change_only.hpp>

#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync {
namespace {

using namespace Poco::Data::Keywords;

TEST(DirectorySyncHashFamily, EachRunRecordsItAndADirectoryWithoutItHoldsTheFirst) {
    const auto dir = testing::fresh_test_dir("peoplesync-directory-family");
    testing::TestHost host(dir);
    std::shared_ptr<Sink> sink = testing::built_plugins().make_sink(
        "directory", core::parse_config_text("database: directory.db\n", "s.yaml"), host);
    User ada;
    ada.hris_id = "W-1";
    ada.email = "ada@example.com";
    Snapshot snapshot;
    snapshot.users.push_back(ada);
    ChangeSet changes;
    changes.synced_fields = {"hris_id", "email", "first_name", "last_name", "active"};
    CreatedUser created;
    created.sync_hash = 42;
    changes.created.push_back(created);
    sink->apply(snapshot, changes, ApplyContext{1, "test"});
    EXPECT_EQ(sink->load_index().sync_hash_family, sync_hash_family);
    EXPECT_EQ(dynamic_cast<ChangeOnlyApplier&>(*sink).load_index_for({})->sync_hash_family, sync_hash_family);

    Poco::Data::SQLite::Connector::registerConnector();
    {
        Poco::Data::Session db("SQLite", (dir / "directory.db").string());
        db << "UPDATE directory_meta SET value = '1' WHERE key = 'sync_hash_family'", now;
    }
    EXPECT_EQ(sink->load_index().sync_hash_family, 1u);
    {
        Poco::Data::Session db("SQLite", (dir / "directory.db").string());
        db << "DELETE FROM directory_meta WHERE key = 'sync_hash_family'", now;
    }
    EXPECT_EQ(sink->load_index().sync_hash_family, 1u);
    EXPECT_EQ(dynamic_cast<ChangeOnlyApplier&>(*sink).load_index_for({})->sync_hash_family, 1u);

    // The next run writes its hashes, and their family with them.
    sink->apply(Snapshot{}, ChangeSet{}, ApplyContext{2, "test"});
    EXPECT_EQ(sink->load_index().sync_hash_family, sync_hash_family);
    sink.reset();
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peoplesync
