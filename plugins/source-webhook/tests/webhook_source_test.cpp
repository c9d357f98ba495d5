// The webhook source on its own: credentials, and every answer to a bad
// request, with a host that records what the plugin hands the daemon.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <peoplesync/validation.hpp>

#include "test_host.hpp"

namespace peoplesync::webhook_test {
namespace {

// Stands in for the daemon's gateway: records, and refuses snapshots with errors.
class RecordingGateway final : public PushGateway {
public:
    std::string record_request(const HttpRequest& request) override {
        recorded.push_back(request);
        return std::to_string(recorded.size());
    }
    PushReceipt refuse(const std::string& request_id, const std::string& reason) override {
        refusals.emplace_back(request_id, reason);
        return {request_id, "test", false, {{Severity::error, "", reason, -1}}};
    }
    PushReceipt submit(const std::string& request_id, Snapshot snapshot) override {
        validate_records(snapshot);
        PushReceipt receipt{request_id, "test", true, snapshot.findings};
        for (const auto& f : snapshot.findings) receipt.accepted = receipt.accepted && f.severity != Severity::error;
        if (receipt.accepted) submitted.push_back(std::move(snapshot));
        return receipt;
    }
    std::vector<HttpRequest> recorded;
    std::vector<std::pair<std::string, std::string>> refusals;
    std::vector<Snapshot> submitted;
};

class PushHost final : public Host, public Logger {
public:
    Logger& log() override { return *this; }
    KeyValueStore& state() override { return values; }
    std::int64_t now() override { return 1700000000; }
    std::string resolve_path(const std::string& path) override { return path; }
    const std::string& pipeline() override { return pipeline_; }
    void add_route(const std::string& prefix, HttpHandler& handler) override { routes.emplace_back(prefix, &handler); }
    PushGateway& push() override { return gateway; }
    void debug(const std::string& m) override { lines.push_back("debug: " + m); }
    void info(const std::string& m) override { lines.push_back("info: " + m); }
    void warning(const std::string& m) override { lines.push_back("warning: " + m); }
    void error(const std::string& m) override { lines.push_back("error: " + m); }

    testing::MemoryKeyValues values;
    RecordingGateway gateway;
    std::vector<std::pair<std::string, HttpHandler*>> routes;
    std::vector<std::string> lines;

private:
    std::string pipeline_ = "hris";
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string field(const std::string& output, const std::string& name) {
    std::smatch match;
    if (!std::regex_search(output, match, std::regex(name + ": (\\S+)"))) return {};
    return match[1];
}

class WebhookSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        source_ = testing::built_plugins().make_source("webhook", ConfigValue::map(), host_);
        ASSERT_TRUE(source_->pushes());
        source_->start();
        ASSERT_EQ(host_.routes.size(), 1u);
        EXPECT_EQ(host_.routes[0].first, "/hriswebhook/sync/");
        handler_ = host_.routes[0].second;
        const std::string output = source_->command("credentials", {"http://127.0.0.1:8080/"});
        token_ = field(output, "endpoint_token");
        key_ = field(output, "api_key");
    }

    HttpRequest post(std::string body, std::string content_type = "application/json") {
        HttpRequest request;
        request.method = "POST";
        request.path = "/hriswebhook/sync/" + token_ + "/";
        request.headers = {{"X-HRIS-AUTHENTICATION", key_}, {"Content-Type", content_type}};
        request.body = std::move(body);
        request.remote_address = "127.0.0.1";
        return request;
    }

    // The answer, or status 0 when the handler does not take the request (the server answers 404).
    std::pair<int, nlohmann::json> send(const HttpRequest& request) {
        HttpResponse response;
        if (!handler_->handle(request, response)) return {0, nullptr};
        EXPECT_EQ(response.content_type, "application/json");
        return {response.status, nlohmann::json::parse(response.body)};
    }

    PushHost host_;
    std::shared_ptr<Source> source_;
    HttpHandler* handler_ = nullptr;
    std::string token_, key_;
};

TEST_F(WebhookSourceTest, CredentialsAreShownOnceAndOnlyTheKeysHashIsStored) {
    EXPECT_TRUE(std::regex_match(token_, std::regex("[0-9a-f]{32}"))) << token_;
    EXPECT_TRUE(std::regex_match(key_, std::regex("[0-9a-f]{40}"))) << key_;
    ASSERT_EQ(host_.values.values.size(), 1u);
    const std::string stored = host_.values.values.begin()->second;
    EXPECT_EQ(stored.find(key_), std::string::npos) << "the key itself is stored";
    EXPECT_NE(stored.find(token_), std::string::npos);
    const std::string endpoint = source_->command("endpoint", {});
    EXPECT_NE(endpoint.find("/hriswebhook/sync/" + token_ + "/"), std::string::npos) << endpoint;
    EXPECT_EQ(endpoint.find(key_), std::string::npos);
    for (const auto& line : host_.lines) EXPECT_EQ(line.find(key_), std::string::npos) << line;
}

TEST_F(WebhookSourceTest, TheGuidesExampleIsAccepted) {
    auto [status, body] = send(post(read_file(PEOPLESYNC_SAMPLES_DIR "/webhook-data-example.json")));
    EXPECT_EQ(status, 202) << body;
    EXPECT_EQ(body["request_id"], "1");
    EXPECT_EQ(body["mode"], "test");
    EXPECT_EQ(body["users"], 1);
    ASSERT_EQ(host_.gateway.submitted.size(), 1u);
    EXPECT_EQ(host_.gateway.submitted[0].users[0].email, "john.doe@7geese.com");
    EXPECT_EQ(host_.gateway.recorded.size(), 1u);
}

TEST_F(WebhookSourceTest, AJsonMediaTypeWithParametersIsJson) {
    auto [status, body] = send(post(R"({"users": []})", "application/json; charset=utf-8"));
    EXPECT_EQ(status, 202) << body;
}

TEST_F(WebhookSourceTest, RotatingReplacesTokenAndKey) {
    const std::string old_token = token_, old_key = key_;
    const std::string output = source_->command("credentials", {});
    token_ = field(output, "endpoint_token");
    key_ = field(output, "api_key");
    EXPECT_NE(token_, old_token);
    EXPECT_NE(key_, old_key);
    EXPECT_NE(output.find("http://HOST:PORT/hriswebhook/sync/" + token_ + "/"), std::string::npos) << output;

    HttpRequest stale = post(R"({"users": []})");
    stale.path = "/hriswebhook/sync/" + old_token + "/";
    EXPECT_EQ(send(stale).first, 0) << "the old endpoint still answers";
    HttpRequest old_key_request = post(R"({"users": []})");
    old_key_request.headers[0].second = old_key;
    EXPECT_EQ(send(old_key_request).first, 401);
    EXPECT_EQ(send(post(R"({"users": []})")).first, 202);
}

TEST_F(WebhookSourceTest, MissingAndWrongKeysGetTheSameAnswerAndAreNotLogged) {
    HttpRequest missing = post("{}");
    missing.headers.erase(missing.headers.begin());
    HttpRequest wrong = post("{}");
    wrong.headers[0].second = std::string(40, '0');
    HttpResponse a, b;
    ASSERT_TRUE(handler_->handle(missing, a));
    ASSERT_TRUE(handler_->handle(wrong, b));
    EXPECT_EQ(a.status, 401);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(a.headers, b.headers);
    EXPECT_TRUE(host_.gateway.recorded.empty());
}

TEST_F(WebhookSourceTest, UnknownEndpointsAreNotTaken) {
    HttpRequest request = post("{}");
    for (const std::string& path :
         {"/hriswebhook/sync/" + std::string(32, 'a') + "/", std::string("/hriswebhook/sync/"),
          "/hriswebhook/sync/" + token_ + "/extra", "/other/" + token_ + "/"}) {
        request.path = path;
        EXPECT_EQ(send(request).first, 0) << path;
    }
    request.path = "/hriswebhook/sync/" + token_;  // without the guide's final slash
    EXPECT_EQ(send(request).first, 400);
}

TEST_F(WebhookSourceTest, NoCredentialsNoEndpoint) {
    host_.values.values.clear();
    EXPECT_EQ(send(post(R"({"users": []})")).first, 0);
    EXPECT_NE(source_->command("endpoint", {}).find("no webhook credentials"), std::string::npos);
}

TEST_F(WebhookSourceTest, OnlyPostIsAllowed) {
    HttpRequest request = post("");
    request.method = "GET";
    HttpResponse response;
    ASSERT_TRUE(handler_->handle(request, response));
    EXPECT_EQ(response.status, 405);
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Allow", "POST"}));
}

TEST_F(WebhookSourceTest, NonJsonIsRefusedWith415AfterItIsLogged) {
    auto [status, body] = send(post("hris_id,email\n1,a@example.com\n", "text/csv"));
    EXPECT_EQ(status, 415) << body;
    EXPECT_EQ(body["request_id"], "1");
    EXPECT_EQ(body["mode"], "test");
    EXPECT_EQ(body["status"], "rejected");
    ASSERT_EQ(host_.gateway.refusals.size(), 1u);
    EXPECT_NE(host_.gateway.refusals[0].second.find("text/csv"), std::string::npos);
    EXPECT_EQ(send(post("{}", "")).first, 415);
}

TEST_F(WebhookSourceTest, MalformedJsonSaysWhere) {
    auto [status, body] = send(post(R"({"users": [{"hris_id": "1",}]})"));
    EXPECT_EQ(status, 400) << body;
    EXPECT_NE(body["error"].get<std::string>().find("malformed JSON at byte 28"), std::string::npos) << body;
    EXPECT_EQ(body["request_id"], "1");
    EXPECT_TRUE(host_.gateway.submitted.empty());
}

TEST_F(WebhookSourceTest, EveryFindingIsAnsweredWithItsLocation) {
    const std::string users = R"({"users": [
        {"hris_id": "1", "first_name": "A", "last_name": "A", "email": "a@example.com", "active": true},
        {"hris_id": "2", "first_name": "B", "last_name": "B", "email": "not-an-email", "active": true},
        {"hris_id": "3", "first_name": "C", "last_name": "C", "active": "yes"}]})";
    auto [status, body] = send(post(users));
    EXPECT_EQ(status, 400) << body;
    std::set<std::string> locations;
    for (const auto& f : body["findings"]) locations.insert(f["location"].get<std::string>());
    EXPECT_TRUE(locations.count("users[1].email")) << body;
    EXPECT_TRUE(locations.count("users[2].email")) << body;
    EXPECT_TRUE(locations.count("users[2].active")) << body;
    EXPECT_EQ(body["status"], "rejected");
    EXPECT_TRUE(host_.gateway.submitted.empty());
}

TEST(WebhookSource, IsNeverRead) {
    testing::TestHost host;
    auto source = testing::built_plugins().make_source("webhook", ConfigValue::map(), host);
    testing::NullReadContext context;
    EXPECT_THROW(source->read(context), Error);
    EXPECT_THROW(source->start(), Error) << "outside the daemon there is no HTTP server";
}

TEST(WebhookSource, PathPrefixMustBeAPath) {
    testing::TestHost host;
    ConfigValue config = ConfigValue::map("pipelines[0].source");
    config.set("path_prefix", ConfigValue::scalar("hooks", "pipelines[0].source.path_prefix", {"p.yaml", 4, 7}));
    try {
        testing::built_plugins().make_source("webhook", config, host);
        FAIL() << "accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("p.yaml:4:7"), std::string::npos) << e.what();
    }
}

// Its options are checked with every plugin's (tests/e2e/option_docs_test.cpp).
TEST(WebhookReadme, DocumentsEveryCommand) {
    const std::string readme = read_file(PEOPLESYNC_WEBHOOK_README);
    ASSERT_FALSE(readme.empty()) << PEOPLESYNC_WEBHOOK_README;
    for (const char* command : {"credentials", "endpoint"})
        EXPECT_NE(readme.find("`" + std::string(command) + "`"), std::string::npos) << command;
}

}  // namespace
}  // namespace peoplesync::webhook_test
