// Reading a request's body from its connection, within the server's limits:
// a Content-Length's bytes, or chunks (RFC 9112 7.1), checked against
// max_body_bytes and against the memory the machine has for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "http_connection.hpp"

namespace peoplesync::server {

// How reading a request's body went; `problem` is the answer's error for the others.
struct BodyRead {
    enum Outcome { whole, too_large, cut_short, malformed } outcome = whole;
    std::string problem;
};

BodyRead read_fixed_length(Connection& connection, std::int64_t length, std::string& body,
                           std::chrono::milliseconds timeout);
BodyRead read_chunked(Connection& connection, std::string& body, std::int64_t limit, std::chrono::milliseconds timeout);

}  // namespace peoplesync::server
