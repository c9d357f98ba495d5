#include "run_lock.hpp"

#include <cstdio>
#include <thread>

#include <peoplesync/error.hpp>

#if defined(_WIN32)
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#endif

namespace peoplesync::core {

namespace {

#if defined(_WIN32)
// The locked byte lies far beyond the holder text, which stays readable.
constexpr DWORD lock_offset = 0x7fffffff;

std::intptr_t open_lock_file(const std::filesystem::path& file) {
    HANDLE h = CreateFileW(file.wstring().c_str(), GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE)
        throw Error("cannot open the lock file " + file.string() + " (error " + std::to_string(GetLastError()) + ")");
    return reinterpret_cast<std::intptr_t>(h);
}

bool try_lock_handle(std::intptr_t handle) {
    OVERLAPPED where{};
    where.Offset = lock_offset;
    return LockFileEx(reinterpret_cast<HANDLE>(handle), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0,
                      &where) != 0;
}

void close_handle(std::intptr_t handle) {
    OVERLAPPED where{};
    where.Offset = lock_offset;
    UnlockFileEx(reinterpret_cast<HANDLE>(handle), 0, 1, 0, &where);
    CloseHandle(reinterpret_cast<HANDLE>(handle));
}

void write_holder(std::intptr_t handle, const std::string& text) {
    HANDLE h = reinterpret_cast<HANDLE>(handle);
    SetFilePointer(h, 0, nullptr, FILE_BEGIN);
    SetEndOfFile(h);
    DWORD written = 0;
    WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &written, nullptr);
}
#else
std::intptr_t open_lock_file(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot open the lock file " + file.string() + ": " + std::strerror(errno));
    return fd;
}

bool try_lock_handle(std::intptr_t handle) {
    int fd = static_cast<int>(handle);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return false;
        throw Error(std::string("cannot lock a pipeline's lock file: ") + std::strerror(errno));
    }
    return true;
}

void close_handle(std::intptr_t handle) {
    // Closing the descriptor releases the lock.
    ::close(static_cast<int>(handle));
}

void write_holder(std::intptr_t handle, const std::string& text) {
    int fd = static_cast<int>(handle);
    if (::ftruncate(fd, 0) != 0) return;
    if (::pwrite(fd, text.data(), text.size(), 0) < 0) return;
}
#endif

std::string read_holder(const std::filesystem::path& file) {
    std::FILE* in = std::fopen(file.string().c_str(), "rb");
    if (in == nullptr) return {};
    char buffer[256];
    std::size_t n = std::fread(buffer, 1, sizeof buffer, in);
    std::fclose(in);
    return std::string(buffer, n);
}

}  // namespace

PipelineLock::PipelineLock(PipelineLock&& other) noexcept
    : pipeline_(std::move(other.pipeline_)), handle_(other.handle_) {
    other.handle_ = -1;
}

PipelineLock& PipelineLock::operator=(PipelineLock&& other) noexcept {
    if (this != &other) {
        release();
        pipeline_ = std::move(other.pipeline_);
        handle_ = other.handle_;
        other.handle_ = -1;
    }
    return *this;
}

PipelineLock::~PipelineLock() {
    release();
}

void PipelineLock::release() {
    if (handle_ != -1) close_handle(handle_);
    handle_ = -1;
}

RunLocks::RunLocks(std::filesystem::path state_database, std::string holder)
    : state_database_(std::move(state_database)), holder_(std::move(holder)) {}

std::filesystem::path RunLocks::file(const std::string& pipeline) const {
    return state_database_.string() + "." + pipeline + ".lock";
}

std::optional<PipelineLock> RunLocks::try_lock(const std::string& pipeline, std::string* holder) const {
    const auto path = file(pipeline);
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    std::intptr_t handle = open_lock_file(path);
    bool locked = false;
    try {
        locked = try_lock_handle(handle);
    } catch (...) {
        close_handle(handle);
        throw;
    }
    if (!locked) {
        close_handle(handle);
        if (holder != nullptr) {
            *holder = read_holder(path);
            if (holder->empty()) *holder = "another process";
        }
        return std::nullopt;
    }
    write_holder(handle, holder_);
    return PipelineLock(pipeline, handle);
}

std::optional<PipelineLock> RunLocks::lock(const std::string& pipeline, const std::function<bool()>& give_up,
                                           std::chrono::milliseconds poll) const {
    while (true) {
        if (auto lock = try_lock(pipeline)) return lock;
        if (give_up && give_up()) return std::nullopt;
        std::this_thread::sleep_for(poll);
    }
}

}  // namespace peoplesync::core
