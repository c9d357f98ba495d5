// An index from strings to numbers for a million keys: open addressing in
// one array, no allocation per key, part of the key's hash kept to skip most
// comparisons.
// Measured on a million users, several times faster than std::unordered_map,
// whose node allocations dominated validation and diffing.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include <peoplesync/text.hpp>

#include "hash.hpp"

namespace peoplesync::flat {

inline std::uint64_t hash(std::string_view text) {
    return hash::bytes(text);
}

// Case-insensitive for ASCII letters: emails. Stored in the rows cache.
inline std::uint64_t folded_hash(std::string_view text) {
    return hash::folded(text);
}

inline bool folded_equal(std::string_view a, std::string_view b) {
    return equal_folded(a, b);
}

// Keys are not stored: a slot holds 32 bits of the key's hash and the value,
// eight bytes, and the key is read back through `key_of(value)` when the hash
// bits match. Values are indexes into the caller's records (0 .. 2^31 - 1);
// key_of(value) must return the key the value was added under.
template <bool CaseInsensitive = false>
class StringIndex {
public:
    static constexpr std::int64_t none = -1;
    using KeyOf = std::function<std::string_view(std::int64_t)>;

    explicit StringIndex(KeyOf key_of, std::size_t expected = 0) : key_of_(std::move(key_of)) { reserve(expected); }

    void reserve(std::size_t expected) {
        std::size_t capacity = 16;
        while (capacity < expected * 2) capacity <<= 1;
        if (capacity <= slots_.size()) return;
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(capacity, Slot{});
        mask_ = capacity - 1;
        size_ = 0;
        for (const Slot& s : old)
            if (s.tag != 0) place(s, hash_of(key_of_(s.value)));  // its home in the larger table
    }

    // Adds key -> value unless the key is there; returns the value stored for
    // the key and whether it was added.
    std::pair<std::int64_t, bool> emplace(std::string_view key, std::int64_t value) {
        return emplace_hashed(key, hash_of(key), value);
    }

    // Adds key_at(k) -> k for every k in [0, count) whose key is not empty,
    // in that order, as emplace() would one by one; on_taken(k, first) hears
    // of each key that was there already (first: the value it has). Each
    // key's slot is fetched from memory a few keys ahead: in a table of a
    // million keys the slots are far apart, and waiting for each in turn
    // took four times as long.
    template <typename KeyAt, typename OnTaken>
    void emplace_all(std::size_t count, KeyAt key_at, OnTaken on_taken) {
        reserve(size_ + count);
        ahead(count, key_at, [&](std::size_t k, std::string_view key, std::uint64_t h) {
            if (key.empty()) return;
            const auto [first, added] = emplace_hashed(key, h, static_cast<std::int64_t>(k));
            if (!added) on_taken(k, first);
        });
    }

    // Calls found(k, find(key_at(k))) for every k in [0, count), in that
    // order, but with none for an empty key; each key's slot is fetched a
    // few keys ahead, as emplace_all() does.
    template <typename KeyAt, typename Found>
    void find_all(std::size_t count, KeyAt key_at, Found found) const {
        ahead(count, key_at, [&](std::size_t k, std::string_view key, std::uint64_t h) {
            found(k, key.empty() || size_ == 0 ? none : find_hashed(key, h));
        });
    }

    std::int64_t find(std::string_view key) const {
        if (size_ == 0) return none;
        return find_hashed(key, hash_of(key));
    }

    bool contains(std::string_view key) const { return find(key) != none; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

private:
    struct Slot {
        std::uint32_t tag = 0;  // the hash's high bits, never 0; 0: empty
        std::int32_t value = 0;
    };

    // Calls visit(k, key_at(k), its hash) for every k in [0, count), in that
    // order, the key's slot asked of memory 16 keys before.
    template <typename KeyAt, typename Visit>
    void ahead(std::size_t count, KeyAt key_at, Visit visit) const {
        constexpr std::size_t lead = 16;
        std::array<std::uint64_t, lead> hashes{};
        for (std::size_t j = 0; j < count + lead; ++j) {
            if (j >= lead) {
                const std::size_t k = j - lead;
                visit(k, std::string_view(key_at(k)), hashes[k % lead]);
            }
            if (j < count) {
                const std::uint64_t h = hash_of(key_at(j));
                hashes[j % lead] = h;
                __builtin_prefetch(slots_.data() + (h & mask_));
            }
        }
    }
    std::int64_t find_hashed(std::string_view key, std::uint64_t h) const {
        const std::uint32_t tag = tag_of(h);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.tag == 0) return none;
            if (s.tag == tag && equal(key_of_(s.value), key)) return s.value;
        }
    }
    std::pair<std::int64_t, bool> emplace_hashed(std::string_view key, std::uint64_t h, std::int64_t value) {
        if ((size_ + 1) * 2 > slots_.size()) reserve(slots_.size());
        const std::uint32_t tag = tag_of(h);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.tag == 0) {
                s = {tag, static_cast<std::int32_t>(value)};
                ++size_;
                return {value, true};
            }
            if (s.tag == tag && equal(key_of_(s.value), key)) return {s.value, false};
        }
    }
    static std::uint64_t hash_of(std::string_view key) {
        if constexpr (CaseInsensitive) return folded_hash(key);
        return hash(key);
    }
    static std::uint32_t tag_of(std::uint64_t h) { return static_cast<std::uint32_t>(h >> 32) | 1u; }
    static bool equal(std::string_view a, std::string_view b) {
        if constexpr (CaseInsensitive) return folded_equal(a, b);
        return a == b;
    }
    void place(const Slot& slot, std::uint64_t h) {
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_)
            if (slots_[i].tag == 0) {
                slots_[i] = slot;
                ++size_;
                return;
            }
    }

    KeyOf key_of_;
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

// The bits of a hash that place it in a table.
inline std::uint64_t placement(std::uint64_t hash) {
    return hash;
}
inline std::uint64_t placement(const std::array<std::uint64_t, 2>& hash) {
    return hash[0];
}

// Where each hash of a list is (the list read through `hash_at(position)`,
// fewer than 2^32 of them): open addressing on the hash's placement,
// compared in full. A hash listed twice is found at its first place.
template <typename HashAt>
class HashPositions {
public:
    static constexpr std::size_t none = SIZE_MAX;

    HashPositions(HashAt hash_at, std::size_t size) : hash_at_(std::move(hash_at)) {
        std::size_t capacity = 16;
        while (capacity < size * 2) capacity <<= 1;
        slots_.assign(capacity, 0);
        mask_ = capacity - 1;
        for (std::size_t k = 0; k < size; ++k) {
            const auto hash = hash_at_(k);
            std::size_t i = placement(hash) & mask_;
            while (slots_[i] != 0 && hash_at_(slots_[i] - 1) != hash) i = (i + 1) & mask_;
            if (slots_[i] == 0)
                slots_[i] = static_cast<std::uint32_t>(k + 1);
            else
                duplicates_ = true;
        }
    }

    template <typename Hash>
    std::size_t find(const Hash& hash) const {
        for (std::size_t i = placement(hash) & mask_;; i = (i + 1) & mask_) {
            const std::uint32_t at = slots_[i];
            if (at == 0) return none;
            if (hash_at_(at - 1) == hash) return at - 1;
        }
    }
    // Whether some hash is listed more than once.
    bool duplicates() const { return duplicates_; }

private:
    HashAt hash_at_;
    std::vector<std::uint32_t> slots_;  // a list position + 1; 0: empty
    std::size_t mask_ = 0;
    bool duplicates_ = false;
};

}  // namespace peoplesync::flat
