// One HTTP POST of a queued message to the receiver, and what its answer
// means for the outbox: delivered, retry later, or rejected for good.
#pragma once

#include <cstdint>
#include <string>

#include <Poco/Net/Context.h>

#include <peoplesync/plugin.hpp>

namespace peoplesync::webhook_sink {

struct DeliverySettings {
    bool https = false;
    std::string host;
    std::uint16_t port = 0;
    std::string target;               // the path and query POSTed to
    std::string display_url;          // scheme://host[:port]/path, without the query, for messages
    std::string api_key;              // sent in X-HRIS-AUTHENTICATION when not empty
    std::string signing_key;          // signs each message (Standard Webhooks) when not empty
    std::string ca_file;              // empty: the system's CAs
    bool verify_certificate = false;  // this and the timeouts: the sink's options fill them
    std::int64_t connect_timeout_secs = 0;
    std::int64_t timeout_secs = 0;
    std::string proxy_host;  // empty: no proxy
    std::uint16_t proxy_port = 0;
    std::string user_agent;
};

class HttpDelivery {
public:
    // Loads the CA file for https; throws Error when it cannot be used.
    explicit HttpDelivery(DeliverySettings settings);
    ~HttpDelivery();
    HttpDelivery(const HttpDelivery&) = delete;
    HttpDelivery& operator=(const HttpDelivery&) = delete;

    // Safe to call from several threads: it only reads the settings.
    DeliveryResult deliver(const Delivery& delivery, std::int64_t now) const;

    const DeliverySettings& settings() const { return settings_; }

private:
    DeliveryResult answer(int status, const std::string& reason, const std::string& body,
                          const std::string& retry_after, const std::string& location, std::int64_t now) const;

    DeliverySettings settings_;
    Poco::Net::Context::Ptr tls_;
};

// Retry-After as seconds or as an HTTP date (then relative to `now`); -1 when
// absent or unreadable.
std::int64_t retry_after_secs(const std::string& value, std::int64_t now);

}  // namespace peoplesync::webhook_sink
