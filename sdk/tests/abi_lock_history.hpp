// sdk/abi.lock is append-only: one "version hash" line per ABI version, and
// a line, once committed, never changes and never goes away. A header change
// without a new version used to pass by rewriting the newest line; reading
// the lock as every commit left it catches that.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Exception.h>

#include "run_program.hpp"

namespace peoplesync::abi_lock {

struct Line {
    unsigned version = 0;
    std::string hash;
    bool operator==(const Line&) const = default;
};

inline std::string to_string(const Line& line) {
    return std::to_string(line.version) + " " + line.hash;
}

struct Lock {
    std::vector<Line> lines;
    std::vector<std::string> malformed;  // "line 3: ..." for what is not "version hash"
};

inline Lock parse(const std::string& text) {
    Lock lock;
    std::istringstream in(text);
    std::string row;
    for (int number = 1; std::getline(in, row); ++number) {
        if (row.empty()) continue;
        std::istringstream fields(row);
        Line line;
        std::string rest;
        if (!(fields >> line.version >> line.hash) || (fields >> rest))
            lock.malformed.push_back("line " + std::to_string(number) + ": \"" + row + "\" is not \"version hash\"");
        else
            lock.lines.push_back(std::move(line));
    }
    return lock;
}

// Why `later` does not keep every line of `earlier`, in order and unchanged;
// nothing when it does.
inline std::optional<std::string> lost_line(const Lock& earlier, const Lock& later) {
    for (std::size_t i = 0; i < earlier.lines.size(); ++i) {
        if (i >= later.lines.size())
            return "line " + std::to_string(i + 1) + " \"" + to_string(earlier.lines[i]) + "\" was removed";
        if (later.lines[i] != earlier.lines[i])
            return "line " + std::to_string(i + 1) + " \"" + to_string(earlier.lines[i]) + "\" became \"" +
                   to_string(later.lines[i]) + "\"";
    }
    return std::nullopt;
}

class History {
public:
    // `checkout` is a folder of a git work tree; `lock_path` the lock's path
    // relative to it.
    History(std::filesystem::path checkout, std::string lock_path)
        : checkout_(std::move(checkout)), lock_path_(std::move(lock_path)) {}

    // Why the history cannot be read (no git, not a checkout); nothing when it can.
    std::optional<std::string> unavailable() const {
        try {
            auto answer = git({"rev-parse", "--verify", "HEAD"});
            if (answer.status != 0) return checkout_.string() + " is not a git checkout with commits: " + answer.err;
        } catch (const Poco::Exception& e) {
            return "git cannot be run: " + e.displayText();
        }
        return std::nullopt;
    }

    // Every commit reachable from HEAD must keep all lines of the lock of at
    // least one of its parents (a merge may drop a line only a side branch
    // had, as when the integrator renumbers two branches' versions), and the
    // lock in the work tree all lines of HEAD's. `known_rewrites` are
    // commits that broke this before it was checked.
    std::vector<std::string> problems(const std::string& working_lock,
                                      const std::set<std::string>& known_rewrites = {}) const {
        std::vector<std::string> found;
        auto commits = git({"log", "--full-history", "--format=%H %P", "HEAD", "--", lock_path_});
        if (commits.status != 0) return {"git log failed: " + commits.err};
        std::istringstream rows(commits.out);
        for (std::string row; std::getline(rows, row);) {
            std::istringstream ids(row);
            std::string commit;
            ids >> commit;
            std::vector<Lock> parents;
            for (std::string parent; ids >> parent;)
                if (auto lock = lock_at(parent)) parents.push_back(std::move(*lock));
            const Lock lock = lock_at(commit).value_or(Lock{});
            if (parents.empty() || known_rewrites.count(commit) != 0) continue;
            if (std::any_of(parents.begin(), parents.end(),
                            [&](const Lock& parent) { return !lost_line(parent, lock); }))
                continue;
            found.push_back("commit " + describe(commit) + " rewrote " + lock_path_ + ": " +
                            *lost_line(parents.front(), lock));
        }
        if (auto head = lock_at("HEAD"))
            if (auto lost = lost_line(*head, parse(working_lock)))
                found.push_back(lock_path_ + " in the work tree differs from the committed one: " + *lost);
        return found;
    }

private:
    peoplesync::testing::Output git(std::vector<std::string> args) const {
        args.insert(args.begin(), {"-C", checkout_.string()});
        return peoplesync::testing::run_program("git", args, checkout_);
    }

    // Most commits are asked for twice: as themselves and as a parent.
    std::optional<Lock> lock_at(const std::string& commit) const {
        if (auto known = locks_.find(commit); known != locks_.end()) return known->second;
        auto shown = git({"show", commit + ":./" + lock_path_});
        std::optional<Lock> lock;
        if (shown.status == 0) lock = parse(shown.out);  // else the commit predates the lock
        locks_.emplace(commit, lock);
        return lock;
    }

    std::string describe(const std::string& commit) const {
        std::string text = git({"log", "-1", "--format=%h (%s)", commit}).out;
        while (!text.empty() && text.back() == '\n') text.pop_back();
        return text;
    }

    std::filesystem::path checkout_;
    std::string lock_path_;
    mutable std::map<std::string, std::optional<Lock>> locks_;
};

}  // namespace peoplesync::abi_lock
