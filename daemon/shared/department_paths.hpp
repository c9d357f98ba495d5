// A department tree's paths ("Engineering > Mobile Team"), each made from
// its parent's, all in one text: tens of thousands of departments without an
// allocation each. The diff and the directory sink read a destination's
// departments through it, so both see the same paths.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

namespace peoplesync {

class DepartmentPaths {
public:
    static constexpr std::size_t none = static_cast<std::size_t>(-1);

    DepartmentPaths() = default;
    // Departments 0 .. count - 1: parent_of(i) is the position of i's parent
    // (`none` for a top-level department or a parent that is missing),
    // name_of(i) its name and id_of(i) its id. Parents that come back to
    // themselves (a cycle the database should not hold) are cut at the
    // department with the smallest id, taken for a top-level one: the same
    // paths whatever order the departments come in.
    template <typename ParentOf, typename NameOf, typename IdOf>
    DepartmentPaths(std::size_t count, ParentOf parent_of, NameOf name_of, IdOf id_of) {
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
                    if (id_of(*it) < id_of(lowest)) lowest = *it;
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

    static constexpr std::string_view separator = " > ";

private:
    std::vector<char> text_;
    std::vector<std::string_view> paths_;  // into text_
};

}  // namespace peoplesync
