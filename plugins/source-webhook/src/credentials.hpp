// The webhook's endpoint token and API key: made from the operating
// system's random source, the key kept only as its SHA-256, and compared in
// constant time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace peoplesync::webhook {

struct Credentials {
    std::string endpoint_token;  // 32 hex digits: the last segment of the endpoint's path
    std::string key_sha256;      // hex SHA-256 of the API key
    std::string created_at;      // ISO 8601 UTC
};

// `bytes` random bytes from the operating system, as lower-case hex.
std::string random_hex(std::size_t bytes);
std::string sha256_hex(std::string_view text);
// Compares without stopping at the first difference, so the time taken says
// nothing about how much of a guess was right.
bool equal_in_constant_time(std::string_view a, std::string_view b);

// The stored form (a JSON object) and back; nothing for a value that is not one.
std::string to_stored(const Credentials& credentials);
std::optional<Credentials> from_stored(const std::string& text);

}  // namespace peoplesync::webhook
