// What every fuzz target shares: a failed property aborts (libFuzzer then
// keeps the input as a crash), with what differed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace peoplesync::fuzz {

[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz property failed: %s\n", what.c_str());
    std::abort();
}

inline void check(bool holds, const std::string& what) {
    if (!holds) fail(what);
}

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Writes `content` to `name` in a temporary folder of this process's (made
// once, kept across inputs) and returns the file's path.
inline std::filesystem::path written_file(const std::string& name, std::string_view content) {
    static const std::filesystem::path folder = [] {
        char pattern[] = "/tmp/peoplesync-fuzz-XXXXXX";
        if (mkdtemp(pattern) == nullptr) fail("no temporary folder");
        return std::filesystem::path(pattern);
    }();
    const std::filesystem::path file = folder / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return file;
}

}  // namespace peoplesync::fuzz
