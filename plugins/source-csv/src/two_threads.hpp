// Work split over two threads for scan() and read_records(): a large file's
// scan is bound by memory (pages to fill, slots far apart), its parse by the
// processor, and a second core halves either.
#pragma once

#include <cstddef>
#include <exception>
#include <system_error>
#include <thread>

namespace peoplesync::csv {

// Below this many items a second thread costs more than it saves.
inline constexpr std::size_t worth_a_thread = 65536;

// Runs `first` on a thread of its own and `second` on this one, and returns
// once both are done; one after the other when no thread can be started. An
// exception from either is rethrown once both are done.
template <typename First, typename Second>
void run_both(First first, Second second) {
    std::exception_ptr failure;
    std::thread helper;
    try {
        helper = std::thread([&first, &failure] {
            try {
                first();
            } catch (...) {
                failure = std::current_exception();
            }
        });
    } catch (const std::system_error&) {
        first();
        second();
        return;
    }
    try {
        second();
    } catch (...) {
        helper.join();
        throw;
    }
    helper.join();
    if (failure) std::rethrow_exception(failure);
}

// Calls work(from, to) for the two halves of [0, count) at once; for the
// whole range on this thread when it is too small to be worth a thread.
template <typename Work>
void for_halves(std::size_t count, Work work) {
    if (count < worth_a_thread) {
        work(std::size_t{0}, count);
        return;
    }
    const std::size_t half = count / 2;
    run_both([&work, half, count] { work(half, count); }, [&work, half] { work(std::size_t{0}, half); });
}

}  // namespace peoplesync::csv
