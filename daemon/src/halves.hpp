// Work on a large range split over two threads.
#pragma once

#include <cstddef>
#include <future>

namespace peoplesync::core {

// Calls work(from, to) for the two halves of [0, count) at once, or for the
// whole range on this thread below `apart` items (a thread costs more than
// it saves there). An exception from either half is rethrown once both end.
template <typename Work>
void for_halves(std::size_t count, std::size_t apart, Work work) {
    if (count < apart) {
        work(std::size_t{0}, count);
        return;
    }
    const std::size_t half = count / 2;
    auto second = std::async(std::launch::async, [&work, half, count] { work(half, count); });
    work(std::size_t{0}, half);
    second.get();
}

}  // namespace peoplesync::core
