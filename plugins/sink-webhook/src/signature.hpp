// Standard Webhooks signatures (https://www.standardwebhooks.com): the
// receiver checks that a message comes from the holder of the shared secret
// and was not replayed later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace peoplesync::webhook_sink {

// The key inside a Standard Webhooks secret, "whsec_" followed by base64.
// Throws Error for anything else; the message never repeats the secret.
std::string signing_key(std::string_view secret);

// The webhook-signature header for one message:
// "v1," + base64(HMAC-SHA256(key, message_id + "." + timestamp + "." + body)).
std::string sign(std::string_view key, std::string_view message_id, std::int64_t timestamp, std::string_view body);

}  // namespace peoplesync::webhook_sink
