// Finds a row of the snapshot by its employee_id or email, to turn a manager
// column that holds one of those into the manager's hris_id. An open-address
// table of row numbers with a fingerprint of each key, so that a probe
// rarely has to look at the row itself: a million rows cost 16 MB and no
// string copies.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <peoplesync/model.hpp>

#include "text.hpp"

namespace peoplesync::csv {

class RowIndex {
public:
    static constexpr std::uint32_t none = UINT32_MAX;
    struct Match {
        std::uint32_t first = none;
        std::uint32_t second = none;  // another row with the same key, if any
    };
    using KeyOf = std::string_view (*)(const User&);

    // `key_of` picks the text a row is found by; `fold` makes the match
    // case-insensitive (emails). `users` must outlive the index unchanged.
    RowIndex(const std::vector<User>& users, KeyOf key_of, bool fold) : users_(users), key_of_(key_of), fold_(fold) {
        std::size_t size = 16;
        while (size < users.size() * 2) size *= 2;
        slots_.resize(size);
        mask_ = size - 1;
        for (std::uint32_t i = 0; i < users.size(); ++i) {
            const std::string_view key = key_of_(users[i]);
            if (key.empty()) continue;
            const std::size_t hash = hash_of(key);
            Slot& slot = slots_[probe(key, hash)];
            if (slot.row == none) {
                slot = {i, fingerprint(hash)};
            } else {
                second_.emplace(slot.row, i);  // keeps the first other row only
            }
        }
    }

    Match find(std::string_view key) const {
        if (key.empty()) return {};
        const Slot& slot = slots_[probe(key, hash_of(key))];
        if (slot.row == none) return {};
        auto other = second_.find(slot.row);
        return {slot.row, other == second_.end() ? none : other->second};
    }

private:
    struct Slot {
        std::uint32_t row = none;
        std::uint32_t fingerprint = 0;
    };

    std::size_t hash_of(std::string_view key) const {
        return fold_ ? hash_folded(key) : std::hash<std::string_view>{}(key);
    }
    static std::uint32_t fingerprint(std::size_t hash) { return static_cast<std::uint32_t>(hash >> 32) | 1u; }

    // The slot that holds `key`, or the empty slot where it would go.
    std::size_t probe(std::string_view key, std::size_t hash) const {
        const std::uint32_t print = fingerprint(hash);
        std::size_t at = hash & mask_;
        while (true) {
            const Slot& slot = slots_[at];
            if (slot.row == none) return at;
            if (slot.fingerprint == print) {
                const std::string_view other = key_of_(users_[slot.row]);
                if (fold_ ? equal_folded(other, key) : other == key) return at;
            }
            at = (at + 1) & mask_;
        }
    }

    const std::vector<User>& users_;
    KeyOf key_of_;
    bool fold_;
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::unordered_map<std::uint32_t, std::uint32_t> second_;  // rows that share a key with an earlier one
};

}  // namespace peoplesync::csv
