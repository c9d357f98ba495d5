// Compares the hash families peoplesync used (its own word-at-a-time hashes
// and FNV-1a) with XXH3 on the inputs they see: CSV records, 1 MiB chunks of
// an export, hash-table keys and a user's synced values. Each case runs its
// contenders in turn, alternating the order round by round, and reports the
// median of the rounds.
//   build/bin/hash_bench [rounds]
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "mix64.hpp"

namespace {

using peoplesync::mix64;

// The families as they were before sdk/internal/hash.hpp: the reference.
namespace before {

// daemon/stores/record_hash.cpp: one lane of the 128-bit record hash.
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

struct Hash128 {
    std::uint64_t low, high;
};
Hash128 record_hash(std::string_view bytes) {
    return {hash64(bytes, 0x243f6a8885a308d3ull), hash64(bytes, 0x13198a2e03707344ull)};
}

// plugins/source-csv/src/record_splitter.cpp: four lanes.
std::uint64_t step(std::uint64_t h, std::uint64_t word) {
    h = (h ^ (word * 0x9e3779b97f4a7c15ull)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}
std::uint64_t load(const char* at) {
    std::uint64_t word;
    std::memcpy(&word, at, 8);
    return word;
}
std::uint64_t csv_hash(std::string_view bytes, std::uint64_t seed) {
    const char* const data = bytes.data();
    const std::size_t size = bytes.size();
    std::uint64_t a = seed, b = seed ^ 0x243f6a8885a308d3ull, c = seed ^ 0x13198a2e03707344ull,
                  d = seed ^ 0xa4093822299f31d0ull;
    std::size_t i = 0;
    for (; i + 32 <= size; i += 32) {
        a = step(a, load(data + i));
        b = step(b, load(data + i + 8));
        c = step(c, load(data + i + 16));
        d = step(d, load(data + i + 24));
    }
    for (std::uint64_t* lane : {&a, &b, &c}) {
        if (i + 8 > size) break;
        *lane = step(*lane, load(data + i));
        i += 8;
    }
    std::uint64_t tail = 0;
    if (i < size) std::memcpy(&tail, data + i, size - i);
    d = step(d, tail ^ (static_cast<std::uint64_t>(size) << 56) ^ size);
    return mix64(a ^ std::rotl(b, 17) ^ std::rotl(c, 31) ^ std::rotl(d, 47));
}

// sdk/internal/flat_index.hpp: FNV-1a.
std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return h ^ (h >> 29);
}

// daemon/core/diff/value_hash.hpp: a user's synced values, a word at a time.
class ValueHash {
public:
    explicit ValueHash(std::uint64_t seed) : hash_(seed) {}
    void add(std::string_view text) {
        std::size_t i = 0;
        for (; i + 8 <= text.size(); i += 8) step(load(text.data() + i));
        std::uint64_t tail = 0;
        if (i < text.size()) std::memcpy(&tail, text.data() + i, text.size() - i);
        step(tail ^ (static_cast<std::uint64_t>(text.size()) << 56));
    }
    std::uint64_t value() const {
        std::uint64_t h = hash_;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        return h == 0 ? 1 : h;
    }

private:
    void step(std::uint64_t word) {
        hash_ = (hash_ ^ (word * 0x9e3779b97f4a7c15ull)) * 0xc4ceb9fe1a85ec53ull;
        hash_ ^= hash_ >> 29;
    }
    std::uint64_t hash_;
};

}  // namespace before

// Texts of random printable bytes with lengths in [low, high], one after the
// other in one buffer, as records sit in a file read whole.
struct Texts {
    std::string bytes;
    std::vector<std::string_view> views;
};
Texts texts(std::size_t count, std::size_t low, std::size_t high, std::mt19937_64& random) {
    std::uniform_int_distribution<std::size_t> length(low, high);
    std::uniform_int_distribution<int> byte(32, 126);
    std::vector<std::size_t> lengths(count);
    std::size_t total = 0;
    for (auto& n : lengths) total += n = length(random);
    Texts out;
    out.bytes.resize(total);
    for (char& c : out.bytes) c = static_cast<char>(byte(random));
    std::size_t at = 0;
    for (const std::size_t n : lengths) {
        out.views.push_back(std::string_view(out.bytes).substr(at, n));
        at += n;
    }
    return out;
}

struct Contender {
    const char* name;
    std::function<std::uint64_t()> run;  // one pass over the case's inputs
};

volatile std::uint64_t sink;

// Runs every contender `rounds` times, alternating their order, and prints
// each one's median in nanoseconds per item and, for bytes, GB/s.
void measure(const char* title, std::size_t items, double bytes_per_item, std::vector<Contender> contenders,
             int rounds) {
    std::vector<std::vector<double>> times(contenders.size());
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t k = 0; k < contenders.size(); ++k) {
            const std::size_t c = round % 2 == 0 ? k : contenders.size() - 1 - k;
            const auto start = std::chrono::steady_clock::now();
            sink = sink + contenders[c].run();
            const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
            times[c].push_back(took.count() / static_cast<double>(items));
        }
    }
    std::printf("%s\n", title);
    for (std::size_t c = 0; c < contenders.size(); ++c) {
        std::vector<double>& t = times[c];
        std::sort(t.begin(), t.end());
        const double median = t[t.size() / 2];
        std::printf("  %-34s %9.2f ns/item %7.2f GB/s  (min %.2f, max %.2f)\n", contenders[c].name, median,
                    bytes_per_item / median, t.front(), t.back());
    }
}

double mean_size(const Texts& all) {
    return static_cast<double>(all.bytes.size()) / static_cast<double>(all.views.size());
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 11;
    std::mt19937_64 random(20261206);

    // CSV records as the change-only scan hashes them (64 bits, seeded), and
    // as the snapshot store hashes encoded records (128 bits).
    const auto records = texts(20000, 80, 150, random);
    auto over = [&records](auto hash) {
        return [&records, hash] {
            std::uint64_t x = 0;
            for (const auto r : records.views) x += hash(r);
            return x;
        };
    };
    measure("CSV records, 80-150 bytes, 64 bits seeded", records.views.size(), mean_size(records),
            {{"ours (csv splitter, 4 lanes)", over([](std::string_view r) { return before::csv_hash(r, 7); })},
             {"XXH3_64bits_withSeed",
              over([](std::string_view r) { return XXH3_64bits_withSeed(r.data(), r.size(), 7); })}},
            rounds);
    measure("snapshot records, 80-150 bytes, 128 bits", records.views.size(), mean_size(records),
            {{"ours (record_hash, 2 x hash64)", over([](std::string_view r) {
                  const auto h = before::record_hash(r);
                  return h.low ^ h.high;
              })},
             {"XXH3_128bits", over([](std::string_view r) {
                  const XXH128_hash_t h = XXH3_128bits(r.data(), r.size());
                  return h.low64 ^ h.high64;
              })}},
            rounds);

    // The export's digest: 1 MiB chunks.
    const auto chunks = texts(8, std::size_t{1} << 20, std::size_t{1} << 20, random);
    auto over_chunks = [&chunks](auto hash) {
        return [&chunks, hash] {
            std::uint64_t x = 0;
            for (const auto r : chunks.views) x += hash(r);
            return x;
        };
    };
    measure("1 MiB chunks (input digest)", chunks.views.size(), double(std::size_t{1} << 20),
            {{"ours (csv splitter, 4 lanes)", over_chunks([](std::string_view r) { return before::csv_hash(r, 7); })},
             {"XXH3_64bits_withSeed",
              over_chunks([](std::string_view r) { return XXH3_64bits_withSeed(r.data(), r.size(), 7); })}},
            rounds);

    // Hash-table keys: hris_ids, emails, department paths.
    const auto keys = texts(20000, 8, 40, random);
    auto over_keys = [&keys](auto hash) {
        return [&keys, hash] {
            std::uint64_t x = 0;
            for (const auto r : keys.views) x += hash(r);
            return x;
        };
    };
    measure("short keys, 8-40 bytes", keys.views.size(), mean_size(keys),
            {{"FNV-1a (flat_index, csv text)", over_keys([](std::string_view r) { return before::fnv1a(r); })},
             {"std::hash<string_view>", over_keys([](std::string_view r) { return std::hash<std::string_view>{}(r); })},
             {"XXH3_64bits", over_keys([](std::string_view r) { return XXH3_64bits(r.data(), r.size()); })}},
            rounds);

    // A user's synced values: eight short texts, then active, departments
    // and manager, as SyncHasher adds them.
    constexpr std::size_t fields = 12;
    const auto values = texts(2000 * fields, 0, 28, random);
    const double per_user = mean_size(values) * fields;
    auto over_users = [&values](auto hash) {
        return [&values, hash] {
            std::uint64_t x = 0;
            for (std::size_t u = 0; u + fields <= values.views.size(); u += fields) x += hash(&values.views[u]);
            return x;
        };
    };
    measure("a user's values, 12 fields of 0-28 bytes", values.views.size() / fields, per_user,
            {{"ours (ValueHash)", over_users([](const std::string_view* v) {
                  before::ValueHash h(7);
                  for (std::size_t f = 0; f < fields; ++f) h.add(v[f]);
                  return h.value();
              })},
             {"XXH3_64bits_withSeed, chained", over_users([](const std::string_view* v) {
                  std::uint64_t h = 7;
                  for (std::size_t f = 0; f < fields; ++f) h = XXH3_64bits_withSeed(v[f].data(), v[f].size(), h);
                  return h;
              })},
             {"XXH3_64bits of length-prefixed copy", over_users([](const std::string_view* v) {
                  char buffer[512];
                  std::size_t n = 0;
                  for (std::size_t f = 0; f < fields; ++f) {
                      buffer[n++] = static_cast<char>(v[f].size());
                      std::memcpy(buffer + n, v[f].data(), v[f].size());
                      n += v[f].size();
                  }
                  return XXH3_64bits_withSeed(buffer, n, 7);
              })},
             {"XXH3 streaming state", over_users([](const std::string_view* v) {
                  XXH3_state_t state;
                  XXH3_INITSTATE(&state);
                  XXH3_64bits_reset_withSeed(&state, 7);
                  for (std::size_t f = 0; f < fields; ++f) {
                      const auto size = static_cast<unsigned char>(v[f].size());
                      XXH3_64bits_update(&state, &size, 1);
                      XXH3_64bits_update(&state, v[f].data(), v[f].size());
                  }
                  return XXH3_64bits_digest(&state);
              })}},
            rounds);
    return 0;
}
