#include "http_body.hpp"

#include <charconv>

#include <Poco/Net/NetException.h>

#include "body_memory.hpp"

namespace peoplesync::server {

namespace {

constexpr std::size_t max_chunk_line_bytes = 4096;

BodyRead cut_short(std::string problem) {
    return {BodyRead::cut_short, std::move(problem)};
}

}  // namespace

BodyRead read_fixed_length(Connection& connection, std::int64_t length, std::string& body,
                           std::chrono::milliseconds timeout) {
    const auto expected = static_cast<std::size_t>(length);
    body.resize(expected);
    std::size_t got = 0;
    while (got < expected) {
        const std::size_t n = connection.read(body.data() + got, expected - got, timeout);
        if (n == 0) {
            body.resize(got);
            return cut_short("the request body ended early, after " + std::to_string(got) + " of " +
                             std::to_string(expected) + " bytes (Content-Length)");
        }
        got += n;
    }
    return {};
}

BodyRead read_chunked(Connection& connection, std::string& body, std::int64_t limit,
                      std::chrono::milliseconds timeout) {
    const auto ended_early = [&body] {
        return cut_short("the request body ended early, after " + std::to_string(body.size()) +
                         " bytes, before its last chunk");
    };
    std::string line;
    std::uint64_t next_memory_check = 1 << 20;
    try {
        while (true) {
            if (!connection.read_line(line, max_chunk_line_bytes, timeout)) return ended_early();
            std::uint64_t size = 0;
            const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
            if (error == std::errc::result_out_of_range) return {BodyRead::too_large, {}};
            const char after = end == line.data() + line.size() ? ';' : *end;
            if (error != std::errc() || (after != ';' && after != ' ' && after != '\t'))
                return {BodyRead::malformed, "the chunked request body is malformed: \"" + line.substr(0, 40) +
                                                 "\" is not a chunk size (hexadecimal digits)"};
            if (size == 0) {
                do {  // trailer fields, up to the empty line
                    if (!connection.read_line(line, max_chunk_line_bytes, timeout)) return ended_early();
                } while (!line.empty());
                return {};
            }
            if (size > static_cast<std::uint64_t>(limit) - body.size()) return {BodyRead::too_large, {}};
            // Asked again each time the body doubles: its length was not said.
            if (const std::uint64_t grown = body.size() + size; grown >= next_memory_check) {
                std::string problem = body_memory_problem(static_cast<std::int64_t>(grown), available_memory_bytes());
                if (!problem.empty()) return {BodyRead::too_large, std::move(problem)};
                next_memory_check = 2 * grown;
            }
            const std::size_t start = body.size();
            body.resize(start + static_cast<std::size_t>(size));
            for (std::size_t got = 0; got < size;) {
                const std::size_t n = connection.read(body.data() + start + got, size - got, timeout);
                if (n == 0) {
                    body.resize(start + got);
                    return ended_early();
                }
                got += n;
            }
            if (!connection.read_line(line, max_chunk_line_bytes, timeout)) return ended_early();
            if (!line.empty())
                return {BodyRead::malformed, "the chunked request body is malformed: a chunk of " +
                                                 std::to_string(size) + " bytes is followed by more bytes"};
        }
    } catch (const Poco::Net::MessageException&) {
        return {BodyRead::malformed, "the chunked request body is malformed: a chunk size line longer than " +
                                         std::to_string(max_chunk_line_bytes) + " bytes"};
    }
}

}  // namespace peoplesync::server
