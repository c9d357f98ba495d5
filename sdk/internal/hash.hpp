// The one hash family of peoplesync: XXH3 (xxHash 0.8), for every hash the
// core and the built-in plugins compute, stored or not. Measured against the
// word-at-a-time hashes and FNV-1a it replaces (tests/bench/hash_bench.cpp,
// medians on this project's inputs), XXH3 took about half the time on CSV
// records and 1 MiB chunks, a fifth for the snapshot store's 128-bit record
// hashes, a third on hash-table keys and two thirds on a user's values; it is
// also kept and tested upstream. Compiled in (XXH_INLINE_ALL): no library to
// link or ship, on Windows either.
//
// Stored hashes depend on the family: whatever stores them stores
// hash::family beside them, and never takes a hash stored under another
// family as "unchanged". Raise it whenever any function here changes what it
// returns for the same input.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <peoplesync/text.hpp>

#include "mix64.hpp"

namespace peoplesync::hash {

// 1: the word-at-a-time hashes (record_hash, the csv splitter's hash_bytes,
// ValueHash) and FNV-1a, before 2026-12; 2: XXH3.
inline constexpr std::uint32_t family = 2;

inline std::uint64_t bytes(std::string_view text, std::uint64_t seed = 0) {
    return XXH3_64bits_withSeed(text.data(), text.size(), seed);
}

// 128 bits, as two words: low, high.
inline std::array<std::uint64_t, 2> bytes128(std::string_view text) {
    const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
    return {h.low64, h.high64};
}

// Combines `text` into `h`: a sequence of texts hashes differently from any
// other sequence, also one that only moves bytes between its texts (XXH3
// covers each text's length).
inline std::uint64_t combine(std::uint64_t h, std::string_view text) {
    return bytes(text, h);
}

// bytes() / bytes128() of the parts one after the other, without joining them.
inline std::uint64_t parts(std::initializer_list<std::string_view> texts) {
    XXH3_state_t state;
    XXH3_INITSTATE(&state);
    XXH3_64bits_reset(&state);
    for (std::string_view text : texts) XXH3_64bits_update(&state, text.data(), text.size());
    return XXH3_64bits_digest(&state);
}
inline std::array<std::uint64_t, 2> parts128(std::initializer_list<std::string_view> texts) {
    XXH3_state_t state;
    XXH3_INITSTATE(&state);
    XXH3_128bits_reset(&state);
    for (std::string_view text : texts) XXH3_128bits_update(&state, text.data(), text.size());
    const XXH128_hash_t h = XXH3_128bits_digest(&state);
    return {h.low64, h.high64};
}

// bytes() of the text with ASCII letters folded to lower case (emails), in
// pieces folded on the stack: texts equal but for case hash alike.
inline std::uint64_t folded(std::string_view text, std::uint64_t seed = 0) {
    char piece[64];
    std::uint64_t h = seed;
    std::size_t at = 0;
    do {
        const std::size_t n = std::min(sizeof piece, text.size() - at);
        for (std::size_t i = 0; i < n; ++i) piece[i] = fold(text[at + i]);
        h = bytes({piece, n}, h);
        at += n;
    } while (at < text.size());
    return h;
}

}  // namespace peoplesync::hash
