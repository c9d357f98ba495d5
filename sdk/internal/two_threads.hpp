// "Do this on two threads": the one way the core and the built-in plugins
// put a second core to work. When no thread can be started (a process at its
// thread limit), the work runs on the calling thread instead: slower, with
// the same result, never an error.
#pragma once

#include <cstddef>
#include <exception>
#include <future>
#include <system_error>
#include <thread>
#include <utility>

namespace peoplesync::threads {

// Below this many items a second thread costs more than it saves.
inline constexpr std::size_t worth_a_thread = 65536;

// Runs `first` on a thread of its own and `second` on this one, and returns
// once both are done (one after the other, on this thread, when no thread
// can be started). An exception from either is rethrown once both are done;
// the second's when both throw.
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
// whole range on this thread below `apart` items.
template <typename Work>
void for_halves(std::size_t count, Work work, std::size_t apart = worth_a_thread) {
    if (count < apart) {
        work(std::size_t{0}, count);
        return;
    }
    const std::size_t half = count / 2;
    run_both([&work, half, count] { work(half, count); }, [&work, half] { work(std::size_t{0}, half); });
}

// Starts `work` on a thread of its own; the future holds its result or its
// exception, and its destructor waits for it. When no thread can be started,
// the work runs on the thread that asks for the result, when it asks.
template <typename Work>
auto on_a_thread(Work work) {
    try {
        return std::async(std::launch::async, work);
    } catch (const std::system_error&) {
        return std::async(std::launch::deferred, std::move(work));
    }
}

}  // namespace peoplesync::threads
