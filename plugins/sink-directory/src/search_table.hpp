// What the browser's searches and a user's reports are answered from: every
// user's search keys and manager, in memory, in one text. Indexes in the
// database would answer as fast, but every run would then write their pages
// too: measured with the benchmark's 1% churn on a million users, five such
// indexes doubled the apply (15,350 pages written to the log became 36,900).
// The table costs runs nothing; it costs the daemon about 100 bytes a user.
//
// A user's keys are written "\x01hris_id\x01email\x01first last\x01last", folded
// to lower case (ASCII, as SQLite's lower()): a search for a prefix is a
// search for "\x01" and the prefix in the whole text. A changed user's new
// keys go at the end and the old ones are blanked out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

namespace peoplesync::directory {

class SearchTable {
public:
    // Every user of the directory, read in the caller's read transaction.
    static std::unique_ptr<SearchTable> build(sqlite3* db);

    // Brings the table up to what the database holds now (in the caller's
    // read transaction): the users peoplesync changed since (its audit log)
    // and those added by anyone after the last one it knew. False when it
    // cannot: another database, too many changes, users added out of order;
    // build a new one then.
    bool refresh(sqlite3* db);

    struct Matches {
        std::vector<std::int64_t> ids;  // the page: ids past `after`, ascending, at most `limit`
        bool more = false;              // more match past the page
        std::int64_t total = 0;         // every user that matches
    };
    // The users one of whose keys starts with `folded` (already lower case).
    Matches search(std::string_view folded, std::int64_t after, std::size_t limit) const;
    // A user's reports: the first `limit` ids, ascending, and how many in all.
    std::vector<std::int64_t> reports(std::int64_t manager, std::size_t limit, std::int64_t& count) const;

    std::size_t users() const { return ids_.size(); }
    std::size_t bytes() const;
    std::chrono::steady_clock::time_point built_at() const { return built_at_; }

    // Past this many audit rows since the table was made or refreshed, a
    // new table is read instead (a large load writes one a user).
    static constexpr std::int64_t most_changes = 200000;

private:
    struct Version {
        std::string instance;
        std::string generation;
        std::int64_t last_audit = 0;
        std::int64_t last_user = 0;
    };
    static Version version_of(sqlite3* db);
    // Reads the users `where` picks (?1 bound to `bound`) and puts each
    // where it belongs. False when one does not fit in the order of ids.
    bool read_users(sqlite3* db, const std::string& where, std::int64_t bound);
    void put(std::int64_t id, std::string_view hris_id, std::string_view email, std::string_view first,
             std::string_view last, std::int64_t manager);
    void append_record(std::size_t user, std::string_view hris_id, std::string_view email, std::string_view first,
                       std::string_view last);
    // The record that holds text position `at`.
    std::size_t record_at(std::size_t at) const;
    std::size_t record_end(std::size_t record) const;

    Version version_;
    std::chrono::steady_clock::time_point built_at_;
    std::vector<std::int64_t> ids_;  // ascending
    std::vector<std::int64_t> managers_;
    std::vector<std::uint32_t> record_of_;  // per user: their live record's place in records_
    std::string text_;
    // Every record ever appended, in the order of their place in text_.
    struct Record {
        std::size_t begin;
        std::uint32_t user;
    };
    std::vector<Record> records_;
    std::size_t blanked_ = 0;  // bytes of records that are no longer live
};

}  // namespace peoplesync::directory
