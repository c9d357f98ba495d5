// The directory's user columns come from the SDK's field table: each text
// field has its column, and a directory made before a field was in the table
// gets the field's column when it is next opened, by the sink or by its
// browser, keeping its rows.
#include <algorithm>

#include <gtest/gtest.h>

#include <peoplesync/directory.hpp>

#include "sqlite_statement.hpp"
#include "test_dir.hpp"
#include "test_host.hpp"

namespace peoplesync {
namespace {

class DirectoryFieldColumns : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("peoplesync-directory-field-columns");
        host_ = std::make_unique<testing::TestHost>(dir_);
        file_ = dir_ / "directory.db";
    }
    void TearDown() override {
        sink_.reset();
        std::filesystem::remove_all(dir_);
    }

    Sink& sink() {
        if (!sink_)
            sink_ = testing::built_plugins().make_sink(
                "directory", core::parse_config_text("database: directory.db\n", "sink.yaml"), *host_);
        return *sink_;
    }
    std::vector<std::string> user_columns() {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
        std::vector<std::string> names;
        {
            sqlite::SqliteStatement columns(db, "SELECT name FROM pragma_table_info('users')");
            while (columns.next()) names.emplace_back(columns.text(0));
        }
        sqlite3_close(db);
        return names;
    }
    void sql(const std::string& statements) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
        sqlite::execute(db, statements);
        ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
    }
    bool has_column(const std::string& name) {
        const auto columns = user_columns();
        return std::find(columns.begin(), columns.end(), name) != columns.end();
    }
    // A directory of one user, Olga, made by this build, then without the
    // hire_date column: as one made before hire_date was in the table.
    void directory_without_hire_date() {
        auto run = testing::creating_run({"W-7"});
        sink().apply(run.snapshot, run.changes, ApplyContext{1, "test"});
        sink_.reset();
        sql("ALTER TABLE users DROP COLUMN hire_date");
        ASSERT_FALSE(has_column("hire_date"));
    }

    std::filesystem::path dir_, file_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(DirectoryFieldColumns, EveryTextOfEveryFieldHasItsColumn) {
    sink().load_index();
    for (const FieldSpec& spec : field_specs) {
        SCOPED_TRACE(std::string(spec.name));
        if (spec.kind == FieldKind::text) {
            EXPECT_TRUE(has_column(std::string(spec.name)));
        } else if (spec.kind == FieldKind::image) {
            for (std::string_view part : image_parts)
                EXPECT_TRUE(has_column(std::string(spec.name) + "_" + std::string(part)));
        }
    }
    EXPECT_TRUE(has_column("active"));
    EXPECT_TRUE(has_column("manager_id"));
}

TEST_F(DirectoryFieldColumns, AFieldsMissingColumnIsAddedWhenTheSinkOpensAndARunWritesIt) {
    directory_without_hire_date();

    auto run = testing::creating_run({"N-1"});
    run.changes.synced_fields.push_back("hire_date");
    run.snapshot.users.edit(0, [](User& u) { u.hire_date = "2026-12-01"; });
    sink().apply(run.snapshot, run.changes, ApplyContext{2, "test"});

    EXPECT_TRUE(has_column("hire_date"));
    const auto olga = sink().find_user("W-7");
    ASSERT_TRUE(olga.has_value());
    EXPECT_EQ(olga->user.hire_date, "");
    EXPECT_EQ(olga->user.first_name, "F");
    const auto created = sink().find_user("N-1");
    ASSERT_TRUE(created.has_value());
    EXPECT_EQ(created->user.hire_date, "2026-12-01");
}

TEST_F(DirectoryFieldColumns, AFieldsMissingColumnIsAddedWhenTheBrowserReadsFirst) {
    directory_without_hire_date();

    DirectoryBrowser* browser = sink().browser();
    ASSERT_NE(browser, nullptr);
    const UserPage page = browser->users(UserQuery{});
    ASSERT_EQ(page.users.size(), 1u);
    const auto olga = browser->user(page.users[0].id);
    ASSERT_TRUE(olga.has_value());
    EXPECT_EQ(olga->user.hris_id, "W-7");
    EXPECT_EQ(olga->user.hire_date, "");
    EXPECT_TRUE(has_column("hire_date"));
}

}  // namespace
}  // namespace peoplesync
