// Whether this process can keep writing a SQLite database: the file, and the
// folder where SQLite makes its log (-wal) and shared index (-shm) beside it.
// SQLite itself opens a file it may not write read-only, without a word, and
// says "unable to open database file" when the folder is read-only; this
// says which and why.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#if !defined(_WIN32)
#include <unistd.h>
#endif

namespace peoplesync::sqlite {

// Empty when `file` (and its folder) can be written; else why not, as
// "is read-only (Read-only file system)" to follow the file's name.
inline std::string unwritable(const std::filesystem::path& file) {
#if defined(_WIN32)
    (void)file;
    return "";
#else
    std::error_code ec;
    if (std::filesystem::exists(file, ec) && ::access(file.c_str(), W_OK) != 0)
        return std::string("is read-only (") + std::strerror(errno) + "): peoplesync writes it";
    std::filesystem::path folder = file.parent_path();
    if (folder.empty()) folder = ".";
    if (std::filesystem::exists(folder, ec) && ::access(folder.c_str(), W_OK) != 0)
        return "is in a read-only folder, " + folder.string() + " (" + std::strerror(errno) +
               "): SQLite writes its log (-wal) and index (-shm) beside the database";
    return "";
#endif
}

}  // namespace peoplesync::sqlite
