// What the admin API's endpoints throw to answer with an error, and how they
// read numbers from a request.
#pragma once

#include <cstdint>
#include <string>

namespace peoplesync::server {

struct ApiError {
    int status;
    std::string message;
    std::string allow = {};  // for 405
};

// A positive whole number from a request's path or query, or a 400 naming `what`.
inline std::int64_t positive(const std::string& text, const char* what) {
    try {
        std::size_t used = 0;
        long long n = std::stoll(text, &used);
        if (used == text.size() && n > 0) return n;
    } catch (const std::exception&) {
    }
    throw ApiError{400, std::string(what) + " must be a positive number, not \"" + text + "\""};
}

}  // namespace peoplesync::server
