// Finds a row by its employee_id or email, to turn a manager column that
// holds one of those into the manager's hris_id. An open-address table of row
// numbers with a fingerprint of each key, so that a probe rarely has to look
// at the row itself: a million rows cost 16 MB and no string copies. The
// table is two tables, by one bit of the hash, that two threads fill at once.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text.hpp"
#include "two_threads.hpp"

namespace peoplesync::csv {

inline constexpr std::uint32_t no_row = UINT32_MAX;

// The hash RowIndex files `key` under; `fold` for keys matched
// case-insensitively.
inline std::size_t key_hash(std::string_view key, bool fold) {
    return fold ? hash_folded(key) : static_cast<std::size_t>(hash::bytes(key));
}

struct RowMatch {
    std::uint32_t first = no_row;
    std::uint32_t second = no_row;  // another row with the same key, if any
};

// `KeyOf` gives the text row i is found by: std::string_view(std::uint32_t i).
template <typename KeyOf>
class RowIndex {
public:
    // Rows 0 to rows - 1, found by the text `key_of` gives them; `fold` makes
    // the match case-insensitive (emails). What `key_of` reads must outlive
    // the index unchanged. `hashes`, when given, holds key_hash() of each
    // row's key, computed while the key was at hand.
    RowIndex(std::size_t rows, KeyOf key_of, bool fold, const std::size_t* hashes = nullptr)
        : key_of_(key_of), fold_(fold), hashes_(hashes) {
        std::size_t size = 16;
        while (size < rows) size *= 2;
        slots_.resize(2 * size);
        mask_ = size - 1;
        if (rows < threads::worth_a_thread) {
            fill(0, rows);
            fill(1, rows);
        } else {
            threads::run_both([this, rows] { fill(1, rows); }, [this, rows] { fill(0, rows); });
        }
    }

    RowMatch find(std::string_view key) const {
        if (key.empty()) return {};
        return found(probe(key, key_hash(key, fold_)));
    }

    // find() for the keys `query` gives from `from` to `to` (query(i) is a
    // std::string_view), into out[from] to out[to - 1]. `hashes`, when given,
    // holds key_hash() of each key.
    template <typename Query>
    void find_range(std::size_t from, std::size_t to, Query query, RowMatch* out,
                    const std::size_t* hashes = nullptr) const {
        auto hash_of = [&](std::size_t i) { return hashes != nullptr ? hashes[i] : key_hash(query(i), fold_); };
        Ahead ahead;
        for (std::size_t i = from; i < from + ahead.size() && i < to; ++i)
            ahead[i % ahead.size()] = request(hash_of(i));
        for (std::size_t i = from; i < to; ++i) {
            const std::size_t hash = ahead[i % ahead.size()];
            if (i + ahead.size() < to) ahead[i % ahead.size()] = request(hash_of(i + ahead.size()));
            const std::string_view key = query(i);
            if (key.empty())
                out[i] = {};
            else if (i > from && key == query(i - 1))  // exports list a manager's reports together
                out[i] = out[i - 1];
            else
                out[i] = found(probe(key, hash));
        }
    }

private:
    struct Slot {
        std::uint32_t row = no_row;
        std::uint32_t fingerprint = 0;
    };

    using Ahead = std::array<std::size_t, 16>;

    // `hash`, with its slot on its way into the cache.
    std::size_t request(std::size_t hash) const {
#if defined(__GNUC__)
        __builtin_prefetch(&slots_[home(hash)]);
#endif
        return hash;
    }

    RowMatch found(std::size_t at) const {
        const Slot& slot = slots_[at];
        if (slot.row == no_row) return {};
        const auto& seconds = second_[at > mask_ ? 1 : 0];
        auto other = seconds.find(slot.row);
        return {slot.row, other == seconds.end() ? no_row : other->second};
    }

    // Adds the rows whose keys belong in `part`, in order.
    void fill(std::size_t part, std::size_t rows) {
        // Slots are far apart in memory: each one is asked for a few rows
        // ahead of its use, so that the waits for memory overlap.
        auto hash_of = [this](std::uint32_t i) {
            return hashes_ != nullptr ? hashes_[i] : key_hash(key_of_(i), fold_);
        };
        Ahead ahead;
        for (std::uint32_t i = 0; i < ahead.size() && i < rows; ++i) ahead[i] = request(hash_of(i));
        for (std::uint32_t i = 0; i < rows; ++i) {
            const std::size_t hash = ahead[i % ahead.size()];
            if (i + ahead.size() < rows) ahead[i % ahead.size()] = request(hash_of(i + ahead.size()));
            if (part_of(hash) != part) continue;
            const std::string_view key = key_of_(i);
            if (key.empty()) continue;
            const std::size_t at = probe(key, hash);
            Slot& slot = slots_[at];
            if (slot.row == no_row)
                slot = {i, fingerprint(hash)};
            else
                second_[part].emplace(slot.row, i);  // keeps the first other row only
        }
    }

    static std::size_t part_of(std::size_t hash) {
        return (hash >> 31) & 1;
    }
    // Where `hash` starts looking in its part.
    std::size_t home(std::size_t hash) const {
        return part_of(hash) * (mask_ + 1) + (hash & mask_);
    }

    static std::uint32_t fingerprint(std::size_t hash) {
        return static_cast<std::uint32_t>(hash >> 32) | 1u;
    }

    // The slot that holds `key`, or the empty slot where it would go.
    std::size_t probe(std::string_view key, std::size_t hash) const {
        const std::uint32_t print = fingerprint(hash);
        const std::size_t base = part_of(hash) * (mask_ + 1);
        std::size_t at = hash & mask_;
        while (true) {
            const Slot& slot = slots_[base + at];
            if (slot.row == no_row) return base + at;
            if (slot.fingerprint == print) {
                const std::string_view other = key_of_(slot.row);
                if (fold_ ? equal_folded(other, key) : other == key) return base + at;
            }
            at = (at + 1) & mask_;
        }
    }

    KeyOf key_of_;
    bool fold_;
    const std::size_t* hashes_;
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;  // of a slot within its part
    // Per part, rows that share a key with an earlier one.
    std::array<std::unordered_map<std::uint32_t, std::uint32_t>, 2> second_;
};

}  // namespace peoplesync::csv
