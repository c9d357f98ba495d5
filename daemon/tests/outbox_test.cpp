// The outbox in a real SQLite state database: order, all-or-nothing
// enqueue, the acknowledged state, retries with backoff, Retry-After, giving
// up, a refused message stopping the sink, an operator's retry and drop, and
// a reopened database keeping everything.
#include <deque>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "outbox.hpp"
#include "retry_policy.hpp"
#include "settings.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

// A sink that answers as scripted and records what it was handed.
class ScriptedSink final : public Sink {
public:
    DestinationIndex load_index() override { return {}; }
    std::vector<DestinationRecord> fetch(std::span<const std::int64_t>) override { return {}; }
    void apply(const Snapshot&, const ChangeSet&, const ApplyContext&) override {}
    bool delivers() const override { return true; }
    DeliveryResult deliver(const Delivery& delivery) override {
        handed.push_back(delivery);
        if (answers.empty()) return {DeliveryResult::Outcome::delivered, "HTTP 200 OK", -1};
        DeliveryResult r = answers.front();
        answers.pop_front();
        if (r.message == "throw") throw Error("boom");
        return r;
    }
    std::deque<DeliveryResult> answers;
    std::vector<Delivery> handed;
};

OutboxMessage message(std::int64_t run, const std::string& body, std::optional<std::string> state) {
    return {run, body, std::move(state), "snapshot of run " + std::to_string(run)};
}

class OutboxTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("outbox");
        store_ = std::make_unique<OutboxStore>(dir_ / "state.db");
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    std::vector<DeliveryEvent> deliver(bool now = true) { return deliver_due(*store_, "p", "s", sink_, policy_, now); }

    std::filesystem::path dir_;
    std::unique_ptr<OutboxStore> store_;
    ScriptedSink sink_;
    RetryPolicy policy_;
};

TEST_F(OutboxTest, MessagesGoOldestFirstAndTheStateFollowsAcknowledgements) {
    auto outbox = store_->for_sink("p", "s");
    EXPECT_EQ(outbox->state(), "");
    outbox->enqueue({message(1, "one", "state-1")});
    outbox->enqueue({message(2, "two-a", std::nullopt), message(2, "two-b", "state-2")});
    // What the receiver will hold once everything queued is delivered.
    EXPECT_EQ(outbox->state(), "state-2");
    EXPECT_EQ(store_->entries("p", "s").size(), 3u);
    EXPECT_EQ(store_->entries("p", "other").size(), 0u);

    auto events = deliver();
    ASSERT_EQ(events.size(), 3u);
    ASSERT_EQ(sink_.handed.size(), 3u);
    EXPECT_EQ(sink_.handed[0].body, "one");
    EXPECT_EQ(sink_.handed[1].body, "two-a");
    EXPECT_EQ(sink_.handed[2].body, "two-b");
    EXPECT_EQ(sink_.handed[0].run_id, 1);
    EXPECT_NE(sink_.handed[0].message_id, sink_.handed[1].message_id);
    EXPECT_EQ(store_->entries("p", "s").size(), 0u);
    EXPECT_EQ(outbox->state(), "state-2");
    EXPECT_EQ(store_->sink("p", "s").delivered, 3);
}

TEST_F(OutboxTest, ARetryKeepsTheMessageWithItsIdAndWaitsTheBackoff) {
    store_->enqueue("p", "s", {message(1, "one", "state-1")});
    sink_.answers = {{DeliveryResult::Outcome::retry, "HTTP 503 Service Unavailable", -1}};
    auto events = deliver(false);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].outcome, DeliveryResult::Outcome::retry);
    auto head = store_->head("p", "s");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->attempts, 1);
    EXPECT_EQ(head->last_result, "HTTP 503 Service Unavailable");
    // Not due yet: the backoff is at least half the first wait.
    EXPECT_GE(head->next_attempt_at_ms - epoch_ms(), policy_.initial_backoff_ms / 2 - 50);
    EXPECT_TRUE(deliver(false).empty());
    // Until acknowledged, the receiver holds nothing.
    EXPECT_EQ(store_->sink("p", "s").delivered, 0);

    deliver(true);
    ASSERT_EQ(sink_.handed.size(), 2u);
    EXPECT_EQ(sink_.handed[1].message_id, sink_.handed[0].message_id);
    EXPECT_EQ(sink_.handed[1].attempt, 2);
    EXPECT_FALSE(store_->head("p", "s"));
}

TEST_F(OutboxTest, RetryAfterWinsOverTheBackoff) {
    store_->enqueue("p", "s", {message(1, "one", "state-1")});
    sink_.answers = {{DeliveryResult::Outcome::retry, "HTTP 429 Too Many Requests", 120}};
    auto events = deliver();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_NEAR(static_cast<double>(events[0].next_attempt_at_ms - epoch_ms()), 120000.0, 2000.0);
}

TEST_F(OutboxTest, AnExceptionFromTheSinkIsARetryNotACrash) {
    store_->enqueue("p", "s", {message(1, "one", "state-1")});
    sink_.answers = {{DeliveryResult::Outcome::retry, "throw", -1}};
    auto events = deliver();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].outcome, DeliveryResult::Outcome::retry);
    EXPECT_NE(events[0].message.find("boom"), std::string::npos);
    EXPECT_TRUE(store_->head("p", "s"));
}

TEST_F(OutboxTest, ARefusedMessageStopsTheSinkUntilAnOperatorRetriesIt) {
    store_->enqueue("p", "s", {message(1, "one", "state-1")});
    store_->enqueue("p", "s", {message(2, "two", "state-2")});
    sink_.answers = {{DeliveryResult::Outcome::rejected, "HTTP 401 Unauthorized: bad key", -1}};
    deliver();
    EXPECT_EQ(sink_.handed.size(), 1u) << "nothing behind a refused message is sent";
    auto state = store_->sink("p", "s");
    EXPECT_NE(state.stopped.find("401"), std::string::npos);
    EXPECT_EQ(state.pending, 2);
    EXPECT_TRUE(deliver().empty()) << "a stopped sink delivers nothing";
    // Nothing new is queued behind it; the error says what to do.
    try {
        store_->enqueue("p", "s", {message(3, "three", "state-3")});
        FAIL() << "queued behind a refused message";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("peoplesync outbox retry p s"), std::string::npos) << e.what();
    }

    EXPECT_EQ(store_->resume("p", "s"), 2);
    deliver();
    ASSERT_EQ(sink_.handed.size(), 3u);
    EXPECT_EQ(sink_.handed[1].body, "one");
    EXPECT_EQ(sink_.handed[2].body, "two");
    EXPECT_EQ(store_->state("p", "s"), "state-2");
}

TEST_F(OutboxTest, DroppingGoesBackToTheLastAcknowledgedState) {
    store_->enqueue("p", "s", {message(1, "one", "state-1")});
    deliver();
    store_->enqueue("p", "s", {message(2, "two", "state-2")});
    sink_.answers = {{DeliveryResult::Outcome::rejected, "HTTP 422", -1}};
    deliver();
    EXPECT_EQ(store_->state("p", "s"), "state-2");
    EXPECT_EQ(store_->drop("p", "s"), 1);
    EXPECT_EQ(store_->state("p", "s"), "state-1");
    EXPECT_TRUE(store_->sink("p", "s").stopped.empty());
}

TEST_F(OutboxTest, RetriesPastTheMaximumAgeStopTheSink) {
    policy_.max_age_secs = 1;
    store_->enqueue("p", "s", {message(1, "one", "state-1")});
    sink_.answers = {{DeliveryResult::Outcome::retry, "connection refused", -1},
                     {DeliveryResult::Outcome::retry, "connection refused", -1}};
    deliver();
    EXPECT_TRUE(store_->sink("p", "s").stopped.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    auto events = deliver();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE(events[0].gave_up);
    auto state = store_->sink("p", "s");
    EXPECT_NE(state.stopped.find("not delivered in 2 attempts"), std::string::npos) << state.stopped;
    EXPECT_EQ(state.pending, 1) << "the message is kept";
}

TEST_F(OutboxTest, AReopenedDatabaseKeepsTheQueueAndTheState) {
    store_->enqueue("p", "s", {message(1, "one", "state-1")});
    deliver();
    store_->enqueue("p", "s", {message(2, "two", "state-2")});
    store_ = std::make_unique<OutboxStore>(dir_ / "state.db");
    EXPECT_EQ(store_->state("p", "s"), "state-2");
    auto entries = store_->entries("p", "s");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].summary, "snapshot of run 2");
    EXPECT_EQ(entries[0].size, 3);
    store_->drop("p", "s");
    EXPECT_EQ(store_->state("p", "s"), "state-1");
}

TEST_F(OutboxTest, LargeBinaryBodiesComeBackByteForByte) {
    std::string body(3 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
    store_->enqueue("p", "s", {message(1, body, body)});
    deliver();
    ASSERT_EQ(sink_.handed.size(), 1u);
    EXPECT_EQ(sink_.handed[0].body, body);
    EXPECT_EQ(store_->state("p", "s"), body);
}

// The token names the message whose state state() returns: it stays as
// that message is delivered, and changes with every new state and a drop.
TEST_F(OutboxTest, TheStateTokenNamesTheMessageTheStateCameFrom) {
    auto outbox = store_->for_sink("p", "s");
    EXPECT_EQ(outbox->state_token(), "empty");
    const auto first = outbox->enqueue({message(1, "one", "state-1")});
    const std::string queued = outbox->state_token();
    EXPECT_EQ(queued, "message " + std::to_string(first[0]));
    deliver();
    EXPECT_EQ(outbox->state(), "state-1");
    EXPECT_EQ(outbox->state_token(), queued);

    // A message without a state leaves it; one with a state changes it.
    outbox->enqueue({message(2, "two", std::nullopt)});
    EXPECT_EQ(outbox->state_token(), queued);
    outbox->enqueue({message(3, "three", "state-3")});
    const std::string newer = outbox->state_token();
    EXPECT_NE(newer, queued);
    EXPECT_EQ(store_->for_sink("p", "other")->state_token(), "empty");

    // Dropped, the state is the acknowledged one again, and so is the token.
    store_->drop("p", "s");
    EXPECT_EQ(outbox->state(), "state-1");
    EXPECT_EQ(outbox->state_token(), queued);

    // Reopened, the same.
    store_ = std::make_unique<OutboxStore>(dir_ / "state.db");
    EXPECT_EQ(store_->for_sink("p", "s")->state_token(), queued);
}

TEST(RetryPolicy, BackoffDoublesUpToTheCeilingWithJitterInTheUpperHalf) {
    RetryPolicy policy;
    policy.initial_backoff_ms = 1000;
    policy.max_backoff_secs = 8;
    EXPECT_EQ(policy.backoff_ms(1, 0.0), 500);
    EXPECT_EQ(policy.backoff_ms(1, 1.0), 1000);
    EXPECT_EQ(policy.backoff_ms(2, 1.0), 2000);
    EXPECT_EQ(policy.backoff_ms(3, 1.0), 4000);
    EXPECT_EQ(policy.backoff_ms(4, 1.0), 8000);
    EXPECT_EQ(policy.backoff_ms(40, 1.0), 8000);
    EXPECT_EQ(policy.backoff_ms(40, 0.0), 4000);
}

TEST_F(OutboxTest, RetrySettingsAreCheckedWithTheirPlace) {
    auto bad = [&](const std::string& yaml) {
        try {
            std::ofstream(dir_ / "p.yaml") << "state_database: s.db\npipelines:\n  - name: p\n"
                                              "    source: {type: csv, path: x.csv}\n"
                                              "    sinks:\n      - type: webhook\n        retry: "
                                           << yaml << "\n";
            load_settings(dir_ / "p.yaml");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(bad("{max_age: 3}").find("max_age"), std::string::npos);
    EXPECT_NE(bad("{initial_backoff_ms: 5}").find("initial_backoff_ms"), std::string::npos);
    EXPECT_NE(bad("{initial_backoff_ms: 600000, max_backoff_secs: 60}").find("longer than max_backoff_secs"),
              std::string::npos);
    EXPECT_EQ(bad("{initial_backoff_ms: 200, max_backoff_secs: 60, max_age_secs: 600}"), "accepted");
}

}  // namespace
}  // namespace peoplesync::core
