// The request log keeps each body as a file of <state>.requests/, synced
// before the row that names it; bodies logged before there were files stay
// readable from their rows.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <peoplesync/error.hpp>

#include "compression.hpp"
#include "request_log.hpp"
#include "sqlite_statement.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

class RequestBodies : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::fresh_test_dir("request-bodies");
        file_ = dir_ / "state.db";
    }

    PushRequest received(const std::string& body) {
        PushRequest request;
        request.pipeline = "hr";
        request.mode = "test";
        request.remote_address = "127.0.0.1";
        request.content_type = "application/json";
        request.size = static_cast<std::int64_t>(body.size());
        return request;
    }

    std::vector<std::filesystem::path> body_files() const {
        std::vector<std::filesystem::path> out;
        if (!std::filesystem::exists(RequestLog::bodies_folder(file_))) return out;
        for (const auto& entry : std::filesystem::directory_iterator(RequestLog::bodies_folder(file_)))
            out.push_back(entry.path());
        return out;
    }

    static std::string read(const std::filesystem::path& file) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

    std::filesystem::path dir_, file_;
};

TEST_F(RequestBodies, ABodyIsAFileBesideTheStateDatabaseAndReadsBackAsSent) {
    const std::string body = "{\"users\": []}\n" + std::string(100000, ' ') + std::string("\0\xff", 2);
    RequestLog log(file_);
    PushRequest request = received(body);
    log.record(request, body);
    ASSERT_GT(request.id, 0);
    const auto files = body_files();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files.front().parent_path(), dir_ / "state.db.requests");
    EXPECT_EQ(read(files.front()), body);
    EXPECT_EQ(log.body(request.id), body);
    EXPECT_EQ(log.get(request.id)->size, static_cast<std::int64_t>(body.size()));

    PushRequest empty = received("");
    log.record(empty, "");
    EXPECT_EQ(log.body(empty.id), "");
    EXPECT_EQ(body_files().size(), 1u);  // an empty body needs no file
    EXPECT_THROW(log.body(empty.id + 1), Error);
}

TEST_F(RequestBodies, ABodyLoggedInItsRowByAnEarlierBuildIsStillRead) {
    const std::string body = "{\"users\": [{\"hris_id\": \"1\"}]}";
    { RequestLog log(file_); }  // the tables as this build makes them
    const std::string packed = deflate(body, 3);
    std::string hex;
    for (const unsigned char c : packed) {
        static const char* digits = "0123456789abcdef";
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
    sqlite::execute(db,
                    "INSERT INTO push_requests(pipeline, received_at, status, mode, remote_address, content_type, "
                    "size, updated_at, body) VALUES('hr', '2026-11-28T16:00:00.000Z', 'applied', 'test', "
                    "'127.0.0.1', 'application/json', " +
                        std::to_string(body.size()) + ", '2026-11-28T16:00:01.000Z', x'" + hex + "')");
    ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
    RequestLog log(file_);
    EXPECT_EQ(log.body(1), body);
}

// A process that stopped between a body's file and its row left a file no
// row names: the daemon removes it before it serves, and keeps the others.
TEST_F(RequestBodies, TheDaemonRemovesBodyFilesNoRequestNames) {
    RequestLog log(file_);
    PushRequest request = received("{}");
    log.record(request, "{}");
    const std::filesystem::path orphan = RequestLog::bodies_folder(file_) / "1-0.json";
    std::ofstream(orphan) << "{\"users\": []}";
    const std::filesystem::path other = RequestLog::bodies_folder(file_) / "notes.txt";
    std::ofstream(other) << "the operator's";
    log.remove_unlogged_bodies();
    EXPECT_FALSE(std::filesystem::exists(orphan));
    EXPECT_TRUE(std::filesystem::exists(other));
    EXPECT_EQ(log.body(request.id), "{}");
}

TEST_F(RequestBodies, AMissingBodyFileIsAnErrorNamingIt) {
    RequestLog log(file_);
    PushRequest request = received("{}");
    log.record(request, "{}");
    const auto files = body_files();
    ASSERT_EQ(files.size(), 1u);
    std::filesystem::remove(files.front());
    try {
        log.body(request.id);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(files.front().string()), std::string::npos) << e.what();
    }
}

// Copies of a message are told apart by their bodies, read from the files.
TEST_F(RequestBodies, AResentMessageIsComparedWithTheBodyInItsFile) {
    RequestLog log(file_);
    PushRequest first = received("{\"users\": []}");
    first.message_id = "msg_1";
    log.record_message(first, "{\"users\": []}", 3600, std::chrono::milliseconds(0));
    first.status = "validated";
    log.update(first);
    PushRequest copy = received("{\"users\": []}");
    copy.message_id = "msg_1";
    EXPECT_EQ(log.record_message(copy, "{\"users\": []}", 3600, std::chrono::milliseconds(0)).kind,
              RequestLog::EarlierCopy::Kind::accepted);
    EXPECT_EQ(copy.status, "duplicate");
    PushRequest other = received("{\"users\": [] }");
    other.message_id = "msg_1";
    EXPECT_EQ(log.record_message(other, "{\"users\": [] }", 3600, std::chrono::milliseconds(0)).kind,
              RequestLog::EarlierCopy::Kind::none);
}

}  // namespace
}  // namespace peoplesync::core
