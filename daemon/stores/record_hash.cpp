#include "record_hash.hpp"

#include <cstring>

#include "mix64.hpp"

namespace peoplesync::core {

namespace {

std::uint64_t hash64(std::string_view bytes, std::uint64_t seed) {
    std::uint64_t h = seed ^ (bytes.size() * 0x9e3779b97f4a7c15ull);
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes.data() + i, 8);
        h = (h ^ mix64(word)) * 0x9e3779b97f4a7c15ull;
        h = (h << 27) | (h >> 37);
    }
    std::uint64_t tail = 0;
    if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
    h = (h ^ mix64(tail ^ seed)) * 0x9e3779b97f4a7c15ull;
    return mix64(h);
}

}  // namespace

RecordHash hash_bytes(std::string_view bytes) {
    return {hash64(bytes, 0x243f6a8885a308d3ull), hash64(bytes, 0x13198a2e03707344ull)};
}

namespace {

// hash_bytes() of the parts one after the other, without joining them: its
// first `Lanes` words.
template <std::size_t Lanes>
std::array<std::uint64_t, Lanes> hash_lanes(std::initializer_list<std::string_view> parts) {
    constexpr std::array<std::uint64_t, 2> seeds = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull};
    std::size_t size = 0;
    for (std::string_view part : parts) size += part.size();
    std::array<std::uint64_t, Lanes> h{};
    for (std::size_t k = 0; k < Lanes; ++k) h[k] = seeds[k] ^ (size * 0x9e3779b97f4a7c15ull);
    auto add = [&h](std::uint64_t word) {
        const std::uint64_t mixed = mix64(word);
        for (auto& lane : h) {
            lane = (lane ^ mixed) * 0x9e3779b97f4a7c15ull;
            lane = (lane << 27) | (lane >> 37);
        }
    };
    char carry[8];
    std::size_t carried = 0;  // bytes of a word begun at the end of a part
    for (std::string_view part : parts) {
        std::size_t i = 0;
        while (carried > 0 && carried < 8 && i < part.size()) carry[carried++] = part[i++];
        if (carried == 8) {
            std::uint64_t word;
            std::memcpy(&word, carry, 8);
            add(word);
            carried = 0;
        }
        for (; i + 8 <= part.size(); i += 8) {
            std::uint64_t word;
            std::memcpy(&word, part.data() + i, 8);
            add(word);
        }
        while (i < part.size()) carry[carried++] = part[i++];
    }
    std::uint64_t tail = 0;
    if (carried > 0) std::memcpy(&tail, carry, carried);
    std::array<std::uint64_t, Lanes> out;
    for (std::size_t k = 0; k < Lanes; ++k) out[k] = mix64((h[k] ^ mix64(tail ^ seeds[k])) * 0x9e3779b97f4a7c15ull);
    return out;
}

}  // namespace

RecordHash hash_parts(std::initializer_list<std::string_view> parts) {
    return hash_lanes<2>(parts);
}

std::uint64_t hash_parts_first(std::initializer_list<std::string_view> parts) {
    return hash_lanes<1>(parts)[0];
}

std::string hash_hex(const RecordHash& hash) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto word : hash)
        for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(word >> shift) & 0xf]);
    return out;
}

}  // namespace peoplesync::core
