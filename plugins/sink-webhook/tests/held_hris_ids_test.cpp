// HeldUsers::held_hris_ids of the webhook sink: the users of the state the
// receiver holds once everything queued is delivered, as load_index() reads
// them.
#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

#include <peoplesync/plugin.hpp>

#include "environment.hpp"
#include "test_host.hpp"

namespace peoplesync::webhook_sink_test {
namespace {

constexpr const char* key_variable = "PEOPLESYNC_TEST_HELD_IDS_KEY";

class WebhookSinkHeldIds : public ::testing::Test {
protected:
    void SetUp() override {
        peoplesync::testing::set_env(key_variable, "773603159c636db69c1e596c68a6368624305bcb");
        sink_ = testing::built_plugins().make_sink(
            "webhook",
            core::parse_config_text(
                std::string("url: https://hr.example.com/hriswebhook/sync/e4a7/\napi_key_env: ") + key_variable + "\n",
                "sink.yaml"),
            host_);
    }
    void TearDown() override {
        sink_.reset();
        peoplesync::testing::unset_env(key_variable);
    }

    // Sends users with these hris_ids, created, as a run would.
    void send(const std::vector<std::string>& hris_ids) {
        const auto run = testing::creating_run(hris_ids);
        sink_->load_index();
        sink_->apply(run.snapshot, run.changes, ApplyContext{1, "hr"});
    }

    std::set<std::string> held(const std::vector<std::string>& asked) {
        const auto found = dynamic_cast<HeldUsers&>(*sink_).held_hris_ids(asked);
        return std::set<std::string>(found.begin(), found.end());
    }

    testing::TestHost host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(WebhookSinkHeldIds, ItNamesTheUsersOfTheStateQueuedOrAcknowledged) {
    EXPECT_TRUE(held({"A"}).empty());  // nothing sent yet
    send({"A", "B"});
    EXPECT_EQ(held({"B", "nobody", "B"}), std::set<std::string>{"B"});
    host_.memory_outbox.deliver_all();
    EXPECT_EQ(held({"A", "B", "C"}), (std::set<std::string>{"A", "B"}));
}

}  // namespace
}  // namespace peoplesync::webhook_sink_test
