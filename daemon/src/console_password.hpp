// The console's password, kept in the configuration only as a salted
// PBKDF2-SHA256 hash: "pbkdf2-sha256$ITERATIONS$SALT_B64$HASH_B64", made by
// `peoplesync console-password`.
#pragma once

#include <cstdint>
#include <string>

namespace peoplesync::core {

// OWASP's recommendation for PBKDF2-HMAC-SHA256 (2023).
constexpr std::int64_t console_password_iterations = 600000;

// A new hash of `password` with a fresh random salt.
std::string hash_console_password(const std::string& password, std::int64_t iterations = console_password_iterations);
// Empty when `hash` has the form above; else what is wrong with it.
std::string console_password_hash_problem(const std::string& hash);
// True when `password` is the one `hash` was made from (compared in constant time).
bool console_password_matches(const std::string& password, const std::string& hash);

}  // namespace peoplesync::core
