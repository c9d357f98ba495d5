// A department tree's paths ("Engineering > Mobile Team"), each made from
// its parent's, all in one text: tens of thousands of departments without an
// allocation each. The diff and the directory sink read a destination's
// departments through it, so both see the same paths.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace peoplesync {

class DepartmentPaths {
public:
    static constexpr std::size_t none = static_cast<std::size_t>(-1);

    DepartmentPaths() = default;
    // Departments 0 .. count - 1: id_of(i) is i's id, parent_id_of(i) its
    // parent's (0 at the top; an id no department has ends the path there)
    // and name_of(i) its name. Parents that come back to themselves (a
    // cycle the database should not hold) are cut at the department with the
    // smallest id, taken for a top-level one: the same paths whatever order
    // the departments come in.
    template <typename IdOf, typename ParentIdOf, typename NameOf>
    DepartmentPaths(std::size_t count, IdOf id_of, ParentIdOf parent_id_of, NameOf name_of) {
        ids_.reserve(count);
        at_.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            ids_.push_back(id_of(i));
            at_.emplace(ids_.back(), i);
        }
        auto parent_of = [&](std::size_t i) {
            const std::int64_t parent = parent_id_of(i);
            auto found = parent == 0 ? at_.end() : at_.find(parent);
            return found == at_.end() ? none : found->second;
        };
        // Where each chain of parents comes back to itself, the cut.
        std::vector<char> cut(count, 0), state(count, 0);  // state: 0 not yet, 1 on this chain, 2 done
        std::vector<std::size_t> chain;
        for (std::size_t start = 0; start < count; ++start) {
            chain.clear();
            std::size_t at = start;
            while (at != none && state[at] == 0) {
                state[at] = 1;
                chain.push_back(at);
                at = parent_of(at);
            }
            if (at != none && state[at] == 1) {  // a cycle: from `at` to the chain's end
                std::size_t lowest = at;
                for (auto it = chain.rbegin(); *it != at; ++it)
                    if (ids_[*it] < ids_[lowest]) lowest = *it;
                cut[lowest] = 1;
            }
            for (const std::size_t i : chain) state[i] = 2;
        }
        auto parent = [&](std::size_t i) { return cut[i] ? none : parent_of(i); };
        // Then the order that puts each parent before its children, and each
        // path's length; then the text, in that order.
        std::vector<std::size_t> order, length(count, 0);
        order.reserve(count);
        std::fill(state.begin(), state.end(), 0);
        std::size_t total = 0;
        for (std::size_t start = 0; start < count; ++start) {
            chain.clear();
            for (std::size_t at = start; at != none && state[at] == 0; at = parent(at)) {
                state[at] = 1;
                chain.push_back(at);
            }
            for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
                const std::size_t i = *it;
                if (parent(i) != none) length[i] = length[parent(i)] + separator.size();
                length[i] += std::string_view(name_of(i)).size();
                total += length[i];
                state[i] = 2;
                order.push_back(i);
            }
        }
        text_.assign(total, '\0');
        paths_.assign(count, {});
        std::size_t at = 0;
        auto put = [this, &at](std::string_view part) {
            if (!part.empty()) std::memcpy(text_.data() + at, part.data(), part.size());
            at += part.size();
        };
        for (const std::size_t i : order) {
            const std::size_t begin = at;
            if (parent(i) != none) {
                put(paths_[parent(i)]);
                put(separator);
            }
            put(name_of(i));
            paths_[i] = std::string_view(text_.data() + begin, length[i]);
        }
    }

    // Moved, the paths stay where they are (the text is a vector's, never
    // inline); copies would point into the original, so there are none.
    DepartmentPaths(const DepartmentPaths&) = delete;
    DepartmentPaths& operator=(const DepartmentPaths&) = delete;
    DepartmentPaths(DepartmentPaths&&) = default;
    DepartmentPaths& operator=(DepartmentPaths&&) = default;

    std::size_t size() const { return paths_.size(); }
    std::string_view operator[](std::size_t i) const { return paths_[i]; }
    std::int64_t id(std::size_t i) const { return ids_[i]; }
    // Where the department with this id is (0 .. size() - 1), or none.
    std::size_t position_of(std::int64_t id) const {
        auto found = at_.find(id);
        return found == at_.end() ? none : found->second;
    }
    // The path of the department with this id, if there is one.
    std::optional<std::string_view> path_of(std::int64_t id) const {
        const std::size_t at = position_of(id);
        if (at == none) return std::nullopt;
        return paths_[at];
    }

    static constexpr std::string_view separator = " > ";

private:
    std::vector<std::int64_t> ids_;
    std::unordered_map<std::int64_t, std::size_t> at_;  // position by id
    std::vector<char> text_;
    std::vector<std::string_view> paths_;  // into text_
};

}  // namespace peoplesync
