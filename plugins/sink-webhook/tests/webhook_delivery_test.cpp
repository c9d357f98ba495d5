// deliver() against real HTTP servers on 127.0.0.1, and the Standard
// Webhooks signature against the specification's own test vector.
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timestamp.h>
#include <gtest/gtest.h>

#include "environment.hpp"
#include "signature.hpp"
#include "test_host.hpp"

namespace peoplesync::webhook_sink_test {
namespace {

using Outcome = DeliveryResult::Outcome;

constexpr const char* key_variable = "PEOPLESYNC_TEST_DELIVERY_KEY";
constexpr const char* secret_variable = "PEOPLESYNC_TEST_DELIVERY_SECRET";
constexpr const char* api_key = "773603159c636db69c1e596c68a6368624305bcb";
constexpr const char* secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* token = "e4a777a9021349fc9d061bd60fe1ec20";  // the guide's endpoint token

TEST(WebhookSignature, MatchesTheStandardWebhooksTestVector) {
    const std::string key = webhook_sink::signing_key(secret);
    EXPECT_EQ(key.size(), 24u);
    EXPECT_EQ(webhook_sink::sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
              "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    // Any change to the id, the time or the body changes the signature.
    EXPECT_NE(webhook_sink::sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, R"({"test": 2432232314})"),
              "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, RefusesSecretsThatAreNotWhsecBase64) {
    for (const char* bad : {"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
                            "whsec_MfKQ9r8G*YqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaS"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(webhook_sink::signing_key(bad), Error);
    }
}

struct Recorded {
    std::string method, uri, body;
    std::map<std::string, std::string> headers;  // names in lower case
};

// What the test server answers and what it was sent.
struct Receiver {
    std::mutex mutex;
    std::vector<Recorded> requests;
    int status = 200;
    std::string answer = R"({"status":"ok"})";
    std::vector<std::pair<std::string, std::string>> answer_headers;
};

class RecordingHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit RecordingHandler(Receiver& receiver) : receiver_(receiver) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        Recorded r;
        r.method = request.getMethod();
        r.uri = request.getURI();
        for (const auto& [name, value] : request) {
            std::string lower = name;
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[lower] = value;
        }
        Poco::StreamCopier::copyToString(request.stream(), r.body);
        std::lock_guard lock(receiver_.mutex);
        receiver_.requests.push_back(std::move(r));
        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(receiver_.status));
        for (const auto& [name, value] : receiver_.answer_headers) response.set(name, value);
        response.setContentType("application/json");
        response.sendBuffer(receiver_.answer.data(), receiver_.answer.size());
    }

private:
    Receiver& receiver_;
};

class RecordingFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit RecordingFactory(Receiver& receiver) : receiver_(receiver) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new RecordingHandler(receiver_);
    }

private:
    Receiver& receiver_;
};

class WebhookDeliveryTest : public ::testing::Test {
protected:
    void SetUp() override {
        peoplesync::testing::set_env(key_variable, api_key);
        peoplesync::testing::set_env(secret_variable, secret);
        server_ = std::make_unique<Poco::Net::HTTPServer>(
            new RecordingFactory(receiver_), Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
            new Poco::Net::HTTPServerParams);
        server_->start();
    }
    void TearDown() override {
        sink_.reset();
        server_->stopAll(true);
        peoplesync::testing::unset_env(key_variable);
        peoplesync::testing::unset_env(secret_variable);
    }

    std::string url(std::uint16_t port) const {
        return "http://127.0.0.1:" + std::to_string(port) + "/hriswebhook/sync/" + token + "/";
    }

    Sink& sink(const std::string& more = "", std::uint16_t port = 0) {
        const std::string yaml =
            "url: " + url(port != 0 ? port : server_->port()) + "\napi_key_env: " + key_variable + "\n" + more;
        sink_ = testing::built_plugins().make_sink("webhook", core::parse_config_text(yaml, "sink.yaml"), host_);
        return *sink_;
    }

    static Delivery delivery(std::string body = R"({"users":[]})") {
        Delivery d;
        d.id = 7;
        d.message_id = "msg_ps_7";
        d.run_id = 3;
        d.queued_at = 1700000000;
        d.body = std::move(body);
        return d;
    }

    Receiver receiver_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    testing::TestHost host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(WebhookDeliveryTest, A2xxIsDeliveredWithTheGuidesHeaders) {
    const DeliveryResult result = sink().deliver(delivery(R"({"users":[{"hris_id":"A1"}]})"));
    EXPECT_EQ(result.outcome, Outcome::delivered) << result.message;
    EXPECT_EQ(result.message, "HTTP 200 OK");
    ASSERT_EQ(receiver_.requests.size(), 1u);
    const Recorded& r = receiver_.requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.uri, std::string("/hriswebhook/sync/") + token + "/");
    EXPECT_EQ(r.body, R"({"users":[{"hris_id":"A1"}]})");
    EXPECT_EQ(r.headers.at("x-hris-authentication"), api_key);
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("webhook-id"), "msg_ps_7");
    EXPECT_EQ(r.headers.at("user-agent").rfind("peoplesync/", 0), 0u);
    EXPECT_EQ(r.headers.count("webhook-signature"), 0u);  // no secret configured
}

TEST_F(WebhookDeliveryTest, EventsAreSignedSoTheReceiverCanCheckThem) {
    host_.clock = 1614265330;
    const std::string yaml =
        "url: " + url(server_->port()) + "\nformat: events\nsigning_secret_env: " + secret_variable + "\n";
    sink_ = testing::built_plugins().make_sink("webhook", core::parse_config_text(yaml, "sink.yaml"), host_);
    const std::string body = R"({"events":[]})";
    EXPECT_EQ(sink_->deliver(delivery(body)).outcome, Outcome::delivered);
    ASSERT_EQ(receiver_.requests.size(), 1u);
    const Recorded& r = receiver_.requests[0];
    EXPECT_EQ(r.headers.count("x-hris-authentication"), 0u);
    EXPECT_EQ(r.headers.at("webhook-timestamp"), "1614265330");
    // What a receiver does: sign id.timestamp.body with the shared key and compare.
    EXPECT_EQ(r.headers.at("webhook-signature"),
              webhook_sink::sign(webhook_sink::signing_key(secret), r.headers.at("webhook-id"),
                                 std::stoll(r.headers.at("webhook-timestamp")), r.body));
}

TEST_F(WebhookDeliveryTest, A5xxIsRetried) {
    receiver_.status = 503;
    receiver_.answer = "down for maintenance";
    const DeliveryResult result = sink().deliver(delivery());
    EXPECT_EQ(result.outcome, Outcome::retry);
    EXPECT_EQ(result.retry_after_secs, -1);
    EXPECT_NE(result.message.find("HTTP 503"), std::string::npos) << result.message;
    EXPECT_NE(result.message.find("down for maintenance"), std::string::npos) << result.message;

    receiver_.status = 500;
    EXPECT_EQ(sink_->deliver(delivery()).outcome, Outcome::retry);
}

TEST_F(WebhookDeliveryTest, TooManyRequestsIsRetriedWhenTheReceiverSays) {
    receiver_.status = 429;
    receiver_.answer_headers = {{"Retry-After", "7"}};
    DeliveryResult result = sink().deliver(delivery());
    EXPECT_EQ(result.outcome, Outcome::retry);
    EXPECT_EQ(result.retry_after_secs, 7);

    // Retry-After as an HTTP date, two minutes after the host's clock.
    receiver_.status = 503;
    receiver_.answer_headers = {
        {"Retry-After",
         Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(host_.clock + 120)),
                                         Poco::DateTimeFormat::HTTP_FORMAT)}};
    result = sink_->deliver(delivery());
    EXPECT_EQ(result.outcome, Outcome::retry);
    EXPECT_EQ(result.retry_after_secs, 120);

    receiver_.status = 408;
    receiver_.answer_headers.clear();
    EXPECT_EQ(sink_->deliver(delivery()).outcome, Outcome::retry);
}

TEST_F(WebhookDeliveryTest, A4xxIsRejectedWithTheAnswerButNeverTheKey) {
    receiver_.status = 401;
    receiver_.answer = R"({"error":"missing or wrong API key in X-HRIS-AUTHENTICATION"})";
    const DeliveryResult result = sink().deliver(delivery(R"({"users":[{"hris_id":"SECRET-PAYLOAD"}]})"));
    EXPECT_EQ(result.outcome, Outcome::rejected);
    EXPECT_EQ(result.message.rfind("HTTP 401 Unauthorized from http://127.0.0.1:", 0), 0u) << result.message;
    // The endpoint token shows as the webhook source logs it: its first four characters.
    EXPECT_NE(result.message.find("/hriswebhook/sync/e4a7.../: "), std::string::npos) << result.message;
    EXPECT_EQ(result.message.find(token), std::string::npos) << result.message;
    EXPECT_NE(result.message.find("missing or wrong API key"), std::string::npos) << result.message;
    EXPECT_EQ(result.message.find(api_key), std::string::npos);
    EXPECT_EQ(result.message.find("SECRET-PAYLOAD"), std::string::npos);

    // A receiver that echoes the request does not get the key into the message.
    receiver_.status = 400;
    receiver_.answer = std::string("bad request; headers were X-HRIS-AUTHENTICATION: ") + api_key;
    const DeliveryResult echoed = sink_->deliver(delivery());
    EXPECT_EQ(echoed.outcome, Outcome::rejected);
    EXPECT_EQ(echoed.message.find(api_key), std::string::npos) << echoed.message;
    EXPECT_NE(echoed.message.find("X-HRIS-AUTHENTICATION: ***"), std::string::npos) << echoed.message;

    // Long answers are cut to one short line.
    receiver_.answer = std::string(5000, 'x') + "\n";
    EXPECT_LT(sink_->deliver(delivery()).message.size(), 450u);

    receiver_.status = 301;
    receiver_.answer_headers = {{"Location", "https://new.example.com/in"}};
    const DeliveryResult moved = sink_->deliver(delivery());
    EXPECT_EQ(moved.outcome, Outcome::rejected);
    EXPECT_NE(moved.message.find("https://new.example.com/in"), std::string::npos) << moved.message;
}

TEST_F(WebhookDeliveryTest, AReceiverThatNeverAnswersIsRetriedAfterTheTimeout) {
    Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));  // listens, never accepts
    const auto started = std::chrono::steady_clock::now();
    const DeliveryResult result = sink("timeout_secs: 1\n", silent.address().port()).deliver(delivery());
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(result.outcome, Outcome::retry);
    EXPECT_NE(result.message.find("timed out"), std::string::npos) << result.message;
    EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(WebhookDeliveryTest, AClosedPortIsRetried) {
    std::uint16_t port = 0;
    {
        Poco::Net::ServerSocket closed(Poco::Net::SocketAddress("127.0.0.1", 0));
        port = closed.address().port();
    }
    const DeliveryResult result = sink("", port).deliver(delivery());
    EXPECT_EQ(result.outcome, Outcome::retry);
    EXPECT_NE(result.message.find("cannot deliver to http://127.0.0.1:" + std::to_string(port)), std::string::npos)
        << result.message;
    EXPECT_EQ(result.message.find(api_key), std::string::npos);
}

// An https receiver on 127.0.0.1 with a certificate from tests/tls (made for
// these tests only: a CA, and server certificates for 127.0.0.1/localhost
// and for another host name).
class WebhookTlsTest : public ::testing::Test {
protected:
    void SetUp() override { peoplesync::testing::set_env(key_variable, api_key); }
    void TearDown() override {
        sink_.reset();
        if (server_) server_->stopAll(true);
        peoplesync::testing::unset_env(key_variable);
    }

    void serve(const std::string& certificate) {
        const std::string dir = PEOPLESYNC_WEBHOOK_SINK_TLS_DIR;
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, dir + "/" + certificate + ".key",
                                   dir + "/" + certificate + ".pem", "", Poco::Net::Context::VERIFY_NONE);
        server_ = std::make_unique<Poco::Net::HTTPServer>(
            new RecordingFactory(receiver_),
            Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context),
            new Poco::Net::HTTPServerParams);
        server_->start();
    }

    DeliveryResult deliver(const std::string& more) {
        const std::string yaml = "url: https://127.0.0.1:" + std::to_string(server_->port()) +
                                 "/in\napi_key_env: " + key_variable + "\nconnect_timeout_secs: 5\ntimeout_secs: 5\n" +
                                 more;
        sink_ = testing::built_plugins().make_sink("webhook", core::parse_config_text(yaml, "sink.yaml"), host_);
        Delivery d;
        d.message_id = "msg_tls";
        d.body = R"({"users":[]})";
        return sink_->deliver(d);
    }

    Receiver receiver_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    testing::TestHost host_;
    std::shared_ptr<Sink> sink_;
};

TEST_F(WebhookTlsTest, AnUntrustedCertificateIsNotSentTheKey) {
    serve("localhost");
    const DeliveryResult result = deliver("");
    EXPECT_EQ(result.outcome, Outcome::retry);
    EXPECT_NE(result.message.find("certificate"), std::string::npos) << result.message;
    EXPECT_TRUE(receiver_.requests.empty());
}

TEST_F(WebhookTlsTest, TheConfiguredCaIsTrusted) {
    serve("localhost");
    const DeliveryResult result = deliver(std::string("ca_file: ") + PEOPLESYNC_WEBHOOK_SINK_TLS_DIR + "/ca.pem\n");
    EXPECT_EQ(result.outcome, Outcome::delivered) << result.message;
    ASSERT_EQ(receiver_.requests.size(), 1u);
    EXPECT_EQ(receiver_.requests[0].headers.at("x-hris-authentication"), api_key);
}

TEST_F(WebhookTlsTest, ACertificateForAnotherHostIsRefused) {
    serve("other-host");
    const DeliveryResult result = deliver(std::string("ca_file: ") + PEOPLESYNC_WEBHOOK_SINK_TLS_DIR + "/ca.pem\n");
    EXPECT_EQ(result.outcome, Outcome::retry);
    EXPECT_NE(result.message.find("certificate"), std::string::npos) << result.message;
    EXPECT_TRUE(receiver_.requests.empty()) << result.message;
}

TEST_F(WebhookTlsTest, VerificationCanBeTurnedOffWithAWarning) {
    serve("other-host");
    const DeliveryResult result = deliver("verify_certificate: false\n");
    EXPECT_EQ(result.outcome, Outcome::delivered) << result.message;
    ASSERT_FALSE(host_.lines.empty());
    EXPECT_NE(host_.lines[0].find("verify_certificate is false"), std::string::npos);
}

TEST_F(WebhookTlsTest, AMissingCaFileIsAConfigurationError) {
    serve("localhost");
    std::string message;
    try {
        deliver("ca_file: /nonexistent/ca.pem\n");
    } catch (const Error& e) {
        message = e.what();
    }
    EXPECT_NE(message.find("sink.yaml:5:10: ca_file: "), std::string::npos) << message;
    EXPECT_NE(message.find(std::filesystem::path("/nonexistent/ca.pem").make_preferred().string()), std::string::npos)
        << message;
}

}  // namespace
}  // namespace peoplesync::webhook_sink_test
