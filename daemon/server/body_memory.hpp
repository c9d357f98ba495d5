// Whether the machine has the memory a request body needs: a push is held
// whole while it is received, then parsed into a snapshot, validated and run,
// so a body too large for the memory free now is refused (413) before it is
// read, rather than by running out of memory halfway.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace peoplesync::server {

// Peak memory of a push per byte of its body, rounded up: the daemon's peak
// resident memory over the body's size, as the README's "Memory of a push"
// measured it (1.9 for 1,000,000 users applied into an empty directory;
// each further byte of body took 1.6).
inline constexpr std::int64_t push_memory_per_body_byte = 3;

// Bytes this process could still take: the system's available memory, or
// its control group's limit less its use where that is lower; nullopt where
// it cannot tell.
std::optional<std::int64_t> available_memory_bytes();

// Empty when a body of `bytes` fits in `available` (nullopt: fits); else
// the answer's error, saying both.
std::string body_memory_problem(std::int64_t bytes, std::optional<std::int64_t> available);

}  // namespace peoplesync::server
