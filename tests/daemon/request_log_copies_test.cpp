// The request log's side of de-duplication, on a real state database: a
// copy is found by pipeline, message id and body; a copy of a request still
// being validated waits for it; a log made before message ids were kept
// gains them.
#include <future>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "daemon_fixture.hpp"
#include "request_log.hpp"

namespace peoplesync::daemon_test {
namespace {

using Kind = core::RequestLog::EarlierCopy::Kind;
using namespace Poco::Data::Keywords;

const std::string body = R"({"users": []})";

core::PushRequest message(const std::string& pipeline, const std::string& message_id, const std::string& text = body) {
    core::PushRequest request;
    request.pipeline = pipeline;
    request.mode = "live";
    request.status = "received";
    request.message_id = message_id;
    request.size = static_cast<std::int64_t>(text.size());
    return request;
}

class RequestLogCopiesTest : public DaemonTest {
protected:
    std::filesystem::path database() {
        std::filesystem::create_directories(dir_ / "var");
        return dir_ / "var" / "state.db";
    }
};

TEST_F(RequestLogCopiesTest, ACopyOfAnAcceptedRequestIsStoredAsItsDuplicate) {
    core::RequestLog log(database());
    auto original = message("hris", "msg_1");
    EXPECT_EQ(log.record_message(original, body, 3600, 0ms).kind, Kind::none);
    EXPECT_EQ(original.status, "received");
    original.status = "validated";
    log.update(original);

    auto copy = message("hris", "msg_1");
    const auto found = log.record_message(copy, body, 3600, 0ms);
    EXPECT_EQ(found.kind, Kind::accepted);
    EXPECT_EQ(found.original.id, original.id);
    EXPECT_EQ(copy.status, "duplicate");
    EXPECT_EQ(log.get(copy.id)->status, "duplicate");
    EXPECT_EQ(log.get(copy.id)->message_id, "msg_1");
    EXPECT_NE(copy.message.find("request " + std::to_string(original.id)), std::string::npos) << copy.message;
    EXPECT_EQ(log.body(copy.id), body);

    // Another pipeline, another id, another body: none is a copy.
    auto elsewhere = message("other", "msg_1");
    EXPECT_EQ(log.record_message(elsewhere, body, 3600, 0ms).kind, Kind::none);
    auto other_id = message("hris", "msg_2");
    EXPECT_EQ(log.record_message(other_id, body, 3600, 0ms).kind, Kind::none);
    const std::string other_text = R"({"users": [ ]})";
    auto other_body = message("hris", "msg_1", other_text);
    EXPECT_EQ(log.record_message(other_body, other_text, 3600, 0ms).kind, Kind::none);
}

TEST_F(RequestLogCopiesTest, ARefusedRequestIsNoOriginalButOneItsRunRejectedIs) {
    core::RequestLog log(database());
    auto refused = message("hris", "msg_1");
    log.record_message(refused, body, 3600, 0ms);
    refused.status = "rejected";
    log.update(refused);
    auto resent = message("hris", "msg_1");
    EXPECT_EQ(log.record_message(resent, body, 3600, 0ms).kind, Kind::none);

    // Accepted, then rejected by its run (a reloaded policy): it was answered 202.
    resent.status = "rejected";
    resent.run_id = 4;
    log.update(resent);
    auto copy = message("hris", "msg_1");
    const auto found = log.record_message(copy, body, 3600, 0ms);
    EXPECT_EQ(found.kind, Kind::accepted);
    EXPECT_EQ(found.original.id, resent.id);
}

TEST_F(RequestLogCopiesTest, ACopyWaitsForItsOriginalsValidation) {
    core::RequestLog log(database());
    auto original = message("hris", "msg_1");
    log.record_message(original, body, 3600, 0ms);

    auto copy = message("hris", "msg_1");
    auto waiting = std::async(std::launch::async, [&] { return log.record_message(copy, body, 3600, 10s); });
    EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout) << "the copy did not wait";
    original.status = "validated";
    log.update(original);
    EXPECT_EQ(waiting.get().kind, Kind::accepted);
    EXPECT_EQ(copy.status, "duplicate");
}

TEST_F(RequestLogCopiesTest, ACopyWhoseOriginalStaysUnvalidatedIsRefusedAsBusy) {
    core::RequestLog log(database());
    auto original = message("hris", "msg_1");
    log.record_message(original, body, 3600, 0ms);
    auto copy = message("hris", "msg_1");
    const auto found = log.record_message(copy, body, 3600, 50ms);
    EXPECT_EQ(found.kind, Kind::in_flight);
    EXPECT_EQ(copy.status, "rejected");
    EXPECT_NE(copy.message.find("still being validated"), std::string::npos) << copy.message;
}

TEST_F(RequestLogCopiesTest, AnOriginalOlderThanTheWindowIsNoOriginal) {
    core::RequestLog log(database());
    auto original = message("hris", "msg_1");
    log.record_message(original, body, 3600, 0ms);
    original.status = "applied";
    log.update(original);
    {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session db("SQLite", database().string());
        db << "UPDATE push_requests SET received_at = '2020-01-01T00:00:00.000000Z'", now;
    }
    auto late = message("hris", "msg_1");
    EXPECT_EQ(log.record_message(late, body, 3600, 0ms).kind, Kind::none);
    EXPECT_EQ(late.status, "received");
}

TEST_F(RequestLogCopiesTest, ALogMadeBeforeMessageIdsGainsThem) {
    {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session db("SQLite", database().string());
        // The table as the previous version made it, with one request.
        db << "CREATE TABLE push_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, "
              "received_at TEXT NOT NULL, status TEXT NOT NULL, mode TEXT NOT NULL, remote_address TEXT NOT NULL, "
              "content_type TEXT NOT NULL, size INTEGER NOT NULL, users INTEGER NOT NULL DEFAULT 0, "
              "run_id INTEGER NOT NULL DEFAULT 0, findings TEXT NOT NULL DEFAULT '[]', "
              "message TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL, body BLOB NOT NULL)",
            now;
        db << "INSERT INTO push_requests(pipeline, received_at, status, mode, remote_address, content_type, size, "
              "updated_at, body) VALUES('hris', '2024-05-01T10:00:00.000000Z', 'applied', 'live', '127.0.0.1', "
              "'application/json', 2, '2024-05-01T10:00:00.000000Z', x'')",
            now;
    }
    core::RequestLog log(database());
    const auto old = log.get(1);
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(old->status, "applied");
    EXPECT_EQ(old->message_id, "");
    EXPECT_FALSE(core::to_json(*old).contains("message_id"));
    auto fresh = message("hris", "msg_1");
    EXPECT_EQ(log.record_message(fresh, body, 3600, 0ms).kind, Kind::none);
    EXPECT_EQ(log.get(fresh.id)->message_id, "msg_1");
    // A second log on the same database (a CLI beside the daemon) finds the column there.
    core::RequestLog again(database());
    EXPECT_EQ(again.list("hris", 10).size(), 2u);
}

}  // namespace
}  // namespace peoplesync::daemon_test
