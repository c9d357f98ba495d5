// The ldap source in a real pipeline with the real directory sink: a server
// that dies in the middle of a read fails the run and leaves the directory
// exactly as it was — even with a deletion guard that would let a partial
// snapshot unsync everybody missing from it.
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "ldap_fixture.hpp"
#include "pipeline.hpp"
#include "report.hpp"

namespace peoplesync::ldap_test {
namespace {

using namespace Poco::Data::Keywords;

class KillOnFirstProgress final : public core::ProgressListener {
public:
    explicit KillOnFirstProgress(SlapdServer& server) : server_(server) {}
    void progress(std::int64_t records) override {
        if (killed_at < 0) {
            killed_at = records;
            server_.kill();
        }
    }
    std::int64_t killed_at = -1;

private:
    SlapdServer& server_;
};

class LdapPipeline : public LdapTestBase {
protected:
    void SetUp() override {
        LdapTestBase::SetUp();
        Poco::Data::SQLite::Connector::registerConnector();
        server_ = std::make_unique<SlapdServer>(dir() / "slapd", ldif(org()));
        write_text(dir() / "peoplesync.yaml",
                   "plugin_dirs: [" + core::default_plugin_dir().string() +
                       "]\n"
                       "state_database: state.db\n"
                       "pipelines:\n"
                       "  - name: people\n"
                       "    source:\n"
                       "      type: ldap\n"
                       "      uri: " +
                       server_->uri() +
                       "\n"
                       "      bind_dn: " +
                       SlapdServer::bind_dn +
                       "\n"
                       "      bind_password_env: " +
                       password_env +
                       "\n"
                       "      base_dn: " +
                       people_dn +
                       "\n"
                       "      filter: (&(objectClass=inetOrgPerson)(!(uid=broken)))\n"
                       "      page_size: 5\n"
                       "      active_filter: \"(!(userAccountControl:1.2.840.113556.1.4.803:=2))\"\n"
                       "    sync:\n"
                       "      guard: {max_removal_percent: 100}\n"
                       "    sinks:\n"
                       "      - {type: directory, database: directory.db}\n");
        settings_ = core::load_settings(dir() / "peoplesync.yaml");
        plugins_ = std::make_unique<core::PluginHost>(settings_.plugin_dirs);
        state_ = std::make_unique<core::StateStore>(settings_.state_database);
        pipeline_ = std::make_unique<core::Pipeline>(settings_, settings_.pipelines[0], *plugins_, *state_);
    }

    void TearDown() override {
        pipeline_.reset();
        state_.reset();
        plugins_.reset();
        server_.reset();
        LdapTestBase::TearDown();
    }

    Poco::Data::Session db() { return Poco::Data::Session("SQLite", (dir() / "directory.db").string()); }

    // Every row of every table of the directory database, sorted, to compare
    // before and after (whatever tables the sink keeps).
    std::string directory_dump() {
        auto session = db();
        std::vector<std::string> tables;
        session << "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", into(tables), now;
        std::vector<std::string> lines;
        for (const auto& table : tables) {
            Poco::Data::Statement select(session);
            select << "SELECT * FROM \"" + table + "\"", now;
            Poco::Data::RecordSet rows(select);
            for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
                std::string line = table;
                for (std::size_t c = 0; c < rows.columnCount(); ++c)
                    line +=
                        "|" + (rows.value(c).isEmpty() ? std::string("NULL") : rows.value(c).convert<std::string>());
                lines.push_back(std::move(line));
            }
        }
        std::sort(lines.begin(), lines.end());
        std::string out;
        for (const auto& line : lines) out += line + "\n";
        return out;
    }

    std::int64_t count(const std::string& query) {
        Poco::Int64 n = 0;
        auto session = db();
        session << query, into(n), now;
        return n;
    }

    std::string manager_of(const std::string& hris_id) {
        std::string manager, id = hris_id;
        auto session = db();
        session << "SELECT COALESCE(m.hris_id, '') FROM users u LEFT JOIN users m ON m.id = u.manager_id "
                   "WHERE u.hris_id = ?",
            use(id), into(manager), now;
        return manager;
    }

    static std::string dump(const core::RunReport& report) { return core::report_json(report, true).dump(2); }

    std::unique_ptr<SlapdServer> server_;
    core::Settings settings_;
    std::unique_ptr<core::PluginHost> plugins_;
    std::unique_ptr<core::StateStore> state_;
    std::unique_ptr<core::Pipeline> pipeline_;
    core::ProgressListener quiet_;
};

TEST_F(LdapPipeline, TheDirectoryIsSyncedFromLdap) {
    pipeline_->enable();
    core::RunReport report = pipeline_->run({}, quiet_);
    ASSERT_EQ(report.status, core::RunStatus::applied) << dump(report);
    EXPECT_EQ(report.changes().created, 26);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE synced = 1"), 26);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE active = 0"), 1);  // bob's disabled bit
    EXPECT_EQ(count("SELECT active FROM users WHERE hris_id = 'bob'"), 0);
    EXPECT_EQ(manager_of("jose"), "jane");
    EXPECT_EQ(manager_of("wei"), "jose");
    EXPECT_EQ(manager_of("lost"), "");  // the dangling manager DN: a warning, no manager
}

TEST_F(LdapPipeline, AServerThatDiesMidRunFailsTheRunAndLeavesTheDirectoryUnchanged) {
    pipeline_->enable();
    ASSERT_EQ(pipeline_->run({}, quiet_).status, core::RunStatus::applied);
    const std::string before = directory_dump();
    ASSERT_FALSE(before.empty());

    KillOnFirstProgress killer(*server_);
    core::RunReport report = pipeline_->run({}, killer);
    EXPECT_EQ(killer.killed_at, 5);
    EXPECT_EQ(report.status, core::RunStatus::failed) << dump(report);
    // Killed after the first page of 5; the second may have arrived whole,
    // in part or not at all.
    const long entries = lost_after(report.message, server_->uri());
    EXPECT_GE(entries, 5) << report.message;
    EXPECT_LE(entries, 10) << report.message;
    EXPECT_NE(report.message.find("the read is incomplete and was discarded"), std::string::npos) << report.message;
    EXPECT_EQ(directory_dump(), before);
    ASSERT_TRUE(state_->run(report.run_id));
    EXPECT_EQ(state_->run(report.run_id)->status, "failed");
}

}  // namespace
}  // namespace peoplesync::ldap_test
