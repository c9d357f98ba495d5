#include "durable_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include <fcntl.h>
#if defined(_WIN32)
#include <io.h>
#include <sys/stat.h>
#else
#include <unistd.h>
#endif

#include <peoplesync/error.hpp>

namespace peoplesync::core {

namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what, int error) {
    throw Error(file.string() + ": cannot " + what + ": " + std::generic_category().message(error));
}

#if defined(_WIN32)
int open_new(const std::filesystem::path& file) {
    return ::_wopen(file.c_str(), _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
}
long write_some(int fd, const char* data, std::size_t size) {
    return ::_write(fd, data, static_cast<unsigned>(std::min<std::size_t>(size, 1u << 30)));
}
int sync_file(int fd) {
    return ::_commit(fd);
}
int close_file(int fd) {
    return ::_close(fd);
}
// NTFS makes a new file's entry durable with its metadata journal.
void sync_folder(const std::filesystem::path&) {}
#else
int open_new(const std::filesystem::path& file) {
    return ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}
long write_some(int fd, const char* data, std::size_t size) {
    return ::write(fd, data, size);
}
int sync_file(int fd) {
    return ::fsync(fd);
}
int close_file(int fd) {
    return ::close(fd);
}
void sync_folder(const std::filesystem::path& folder) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail(folder, "open the folder to sync it", errno);
    const int synced = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (synced != 0) fail(folder, "sync the folder", error);
}
#endif

}  // namespace

void write_durably(const std::filesystem::path& file, std::string_view bytes) {
    const int fd = open_new(file);
    if (fd < 0) fail(file, "create the file", errno);
    auto give_up = [&](const std::string& what) {
        const int error = errno;
        close_file(fd);
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
        fail(file, what, error);
    };
    for (std::size_t done = 0; done < bytes.size();) {
        const long wrote = write_some(fd, bytes.data() + done, bytes.size() - done);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) give_up("write the file");
        done += static_cast<std::size_t>(wrote);
    }
    if (sync_file(fd) != 0) give_up("sync the file to disk");
    if (close_file(fd) != 0) {
        const int error = errno;
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
        fail(file, "close the file", error);
    }
    sync_folder(file.parent_path());
}

}  // namespace peoplesync::core
