// The request log's retention: the bodies of finished requests past a
// pipeline's newest `keep`, or older than `keep_days`, are removed; their
// rows stay, say when, and a resent copy of a message is still told apart
// by its body's digest.
#include <gtest/gtest.h>

#include <peoplesync/error.hpp>

#include "request_log.hpp"
#include "sqlite_statement.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

using namespace std::chrono_literals;

class RequestRetention : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("request-retention");
        file_ = dir_ / "state.db";
    }

    static PushRequest received(const std::string& pipeline, const std::string& body, const std::string& id = "") {
        PushRequest request;
        request.pipeline = pipeline;
        request.mode = "live";
        request.remote_address = "127.0.0.1";
        request.content_type = "application/json";
        request.size = static_cast<std::int64_t>(body.size());
        request.message_id = id;
        return request;
    }

    static std::string body_of(int n) { return "{\"users\": [], \"n\": " + std::to_string(n) + "}"; }

    // Records a request of `pipeline` and, unless `pending`, finishes it (applied).
    std::int64_t push(RequestLog& log, const std::string& pipeline, int n, bool pending = false) {
        PushRequest request = received(pipeline, body_of(n));
        log.record(request, body_of(n));
        if (!pending) {
            request.status = "applied";
            log.update(request);
        }
        return request.id;
    }

    std::size_t body_files() const {
        std::size_t n = 0;
        std::error_code ignored;
        for (const auto& entry : std::filesystem::directory_iterator(RequestLog::bodies_folder(file_), ignored)) {
            (void)entry;
            ++n;
        }
        return n;
    }

    static bool kept(RequestLog& log, std::int64_t id) { return log.get(id)->body_removed_at.empty(); }

    std::filesystem::path dir_, file_;
};

TEST_F(RequestRetention, WithoutARetentionEveryBodyIsKept) {
    RequestLog log(file_);
    for (int n = 0; n < 5; ++n) push(log, "hr", n);
    EXPECT_EQ(log.remove_old_bodies(), 0);
    EXPECT_EQ(body_files(), 5u);
}

TEST_F(RequestRetention, ThePipelinesNewestAreKeptAndNoPendingRequestLosesItsBody) {
    RequestLog log(file_);
    log.set_body_retention({2, 0});
    std::vector<std::int64_t> ids;
    for (int n = 0; n < 4; ++n) ids.push_back(push(log, "hr", n));
    const std::int64_t elsewhere = push(log, "other", 9);
    const std::int64_t waiting = push(log, "hr", 4, true);
    // hr's newest two: ids[3] and the waiting one. The others are finished: removed.
    EXPECT_FALSE(kept(log, ids[0]));
    EXPECT_FALSE(kept(log, ids[1]));
    EXPECT_FALSE(kept(log, ids[2]));
    EXPECT_TRUE(kept(log, ids[3]));
    EXPECT_TRUE(kept(log, waiting));
    EXPECT_TRUE(kept(log, elsewhere));
    EXPECT_EQ(body_files(), 3u);
    EXPECT_EQ(log.body(ids[3]), body_of(3));

    // The row stays, with what it was; its body is refused with the reason.
    const PushRequest old = *log.get(ids[0]);
    EXPECT_EQ(old.status, "applied");
    EXPECT_EQ(old.size, static_cast<std::int64_t>(body_of(0).size()));
    EXPECT_EQ(to_json(old)["body_removed_at"], old.body_removed_at);
    try {
        log.body(ids[0]);
        FAIL() << "a removed body was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the body of request " + std::to_string(ids[0]) +
                                             " is no longer kept: it was removed " + old.body_removed_at),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("requests.keep_bodies"), std::string::npos) << e.what();
    }

    // Two newer pending requests: the waiting one is past the newest two but
    // keeps its body until it is finished.
    const std::int64_t newer1 = push(log, "hr", 5, true);
    const std::int64_t newer2 = push(log, "hr", 6, true);
    EXPECT_FALSE(kept(log, ids[3]));
    EXPECT_TRUE(kept(log, waiting));
    PushRequest finishing = *log.get(waiting);
    finishing.status = "failed";
    log.update(finishing);
    EXPECT_FALSE(kept(log, waiting));
    EXPECT_TRUE(kept(log, newer1));
    EXPECT_TRUE(kept(log, newer2));
    EXPECT_EQ(body_files(), 3u);  // newer1, newer2 and the other pipeline's
}

TEST_F(RequestRetention, BodiesOlderThanTheDaysAreRemovedWhateverTheCount) {
    RequestLog log(file_);
    const std::int64_t old = push(log, "hr", 0);
    const std::int64_t recent = push(log, "hr", 1);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
    sqlite::execute(
        db, "UPDATE push_requests SET received_at = '2020-01-01T00:00:00.000000Z' WHERE id = " + std::to_string(old));
    sqlite3_close(db);
    log.set_body_retention({1000, 30});
    EXPECT_EQ(log.remove_old_bodies(), 1);
    EXPECT_FALSE(kept(log, old));
    EXPECT_TRUE(kept(log, recent));
    EXPECT_EQ(body_files(), 1u);
    EXPECT_EQ(log.remove_old_bodies(), 0);  // done once
}

TEST_F(RequestRetention, AResentMessageIsACopyAfterItsFirstBodyIsRemoved) {
    RequestLog log(file_);
    log.set_body_retention({1, 0});
    const std::string body = body_of(1);
    PushRequest first = received("hr", body, "msg_1");
    log.record_message(first, body, 3600, 0ms);
    first.status = "applied";
    log.update(first);
    push(log, "hr", 2);  // now the newest: the first one's body goes
    ASSERT_FALSE(kept(log, first.id));

    PushRequest copy = received("hr", body, "msg_1");
    const auto found = log.record_message(copy, body, 3600, 0ms);
    EXPECT_EQ(found.kind, RequestLog::EarlierCopy::Kind::accepted);
    EXPECT_EQ(found.original.id, first.id);
    EXPECT_EQ(copy.status, "duplicate");

    // The same id with another body of the same size is a new message.
    std::string other = body;
    other[other.size() - 2] = '7';
    PushRequest changed = received("hr", other, "msg_1");
    EXPECT_EQ(log.record_message(changed, other, 3600, 0ms).kind, RequestLog::EarlierCopy::Kind::none);
    EXPECT_EQ(changed.status, "received");
}

}  // namespace
}  // namespace peoplesync::core
