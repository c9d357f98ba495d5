// The finalizer of the 64-bit hashes the core and the csv source compute
// (MurmurHash3's fmix64): spreads every bit of `h` over all 64.
#pragma once

#include <cstdint>

namespace peoplesync {

inline std::uint64_t mix64(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

}  // namespace peoplesync
