#include "search_table.hpp"

#include <algorithm>
#include <cstring>

#include <peoplesync/error.hpp>
#include <peoplesync/text.hpp>

#include "sqlite_statement.hpp"

namespace peoplesync::directory {

using sqlite::SqliteStatement;

namespace {

constexpr char field_start = '\x01';
constexpr char blank = '\x02';

// `text` folded as SQLite's lower() folds (ASCII letters), without the two
// bytes the table keeps for itself.
void add_folded(std::string& out, std::string_view text) {
    for (const char c : text) out += c == field_start || c == blank ? ' ' : fold(c);
}

// Where `needle` is in `text` from `from` on, or npos.
std::size_t find_in(std::string_view text, std::string_view needle, std::size_t from) {
#if defined(__GLIBC__) || defined(__APPLE__) || defined(__FreeBSD__)
    // glibc's memmem skips ahead by the needle: several times std::string_view::find,
    // which stops at every field's first byte.
    const void* found = ::memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
    return found == nullptr ? std::string_view::npos
                            : static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
#else
    return text.find(needle, from);
#endif
}

}  // namespace

SearchTable::Version SearchTable::version_of(sqlite3* db) {
    SqliteStatement select(db,
                           "SELECT (SELECT value FROM directory_meta WHERE key = 'instance'), (SELECT value FROM "
                           "directory_meta WHERE key = 'generation'), (SELECT COALESCE(MAX(id), 0) FROM audit_log), "
                           "(SELECT COALESCE(MAX(id), 0) FROM users)");
    Version version;
    if (select.next()) {
        version.instance = select.text(0);
        version.generation = select.text(1);
        version.last_audit = select.integer(2);
        version.last_user = select.integer(3);
        while (select.next()) {
        }
    }
    return version;
}

std::unique_ptr<SearchTable> SearchTable::build(sqlite3* db) {
    auto table = std::make_unique<SearchTable>();
    table->version_ = version_of(db);
    const auto users = static_cast<std::size_t>(std::max<std::int64_t>(table->version_.last_user, 0));
    table->ids_.reserve(users);
    table->managers_.reserve(users);
    table->record_of_.reserve(users);
    table->records_.reserve(users);
    table->text_.reserve(users * 64);
    if (!table->read_users(db, "1", 0)) throw Error("the directory's users changed while they were read");
    table->built_at_ = std::chrono::steady_clock::now();
    return table;
}

bool SearchTable::refresh(sqlite3* db) {
    const Version now = version_of(db);
    if (now.instance != version_.instance || now.last_audit < version_.last_audit) return false;
    if (now.generation == version_.generation && now.last_audit == version_.last_audit &&
        now.last_user == version_.last_user)
        return true;
    if (now.last_audit - version_.last_audit > most_changes || blanked_ > text_.size() / 2) return false;
    // Every user peoplesync wrote has rows in the audit log; a user added by
    // other hands (SQL) does not, but comes after the last one known.
    if (!read_users(db, "id IN (SELECT user_id FROM audit_log WHERE id > ?1 AND user_id IS NOT NULL)",
                    version_.last_audit))
        return false;
    if (!read_users(db, "id > ?1", ids_.empty() ? 0 : ids_.back())) return false;
    version_ = now;
    return true;
}

bool SearchTable::read_users(sqlite3* db, const std::string& where, std::int64_t bound) {
    SqliteStatement rows(db,
                         "SELECT id, COALESCE(hris_id, ''), email, first_name, last_name, COALESCE(manager_id, 0) FROM "
                         "users WHERE " +
                             where + " ORDER BY id");
    if (where.find("?1") != std::string::npos) rows.bind(1, bound);
    bool in_order = true;
    while (rows.next()) {
        const std::int64_t id = rows.integer(0);
        if (!ids_.empty() && id <= ids_.back() && !std::binary_search(ids_.begin(), ids_.end(), id)) {
            in_order = false;  // a user added below others: only a new table has them in order
            continue;
        }
        put(id, rows.text(1), rows.text(2), rows.text(3), rows.text(4), rows.integer(5));
    }
    return in_order;
}

void SearchTable::put(std::int64_t id, std::string_view hris_id, std::string_view email, std::string_view first,
                      std::string_view last, std::int64_t manager) {
    std::size_t user = 0;
    if (ids_.empty() || id > ids_.back()) {
        user = ids_.size();
        ids_.push_back(id);
        managers_.push_back(manager);
        record_of_.push_back(0);
    } else {
        user = static_cast<std::size_t>(std::lower_bound(ids_.begin(), ids_.end(), id) - ids_.begin());
        managers_[user] = manager;
        const std::size_t old = record_of_[user];
        const std::size_t begin = records_[old].begin, end = record_end(old);
        std::fill(text_.begin() + static_cast<std::ptrdiff_t>(begin), text_.begin() + static_cast<std::ptrdiff_t>(end),
                  blank);
        blanked_ += end - begin;
    }
    append_record(user, hris_id, email, first, last);
}

void SearchTable::append_record(std::size_t user, std::string_view hris_id, std::string_view email,
                                std::string_view first, std::string_view last) {
    record_of_[user] = static_cast<std::uint32_t>(records_.size());
    records_.push_back({text_.size(), static_cast<std::uint32_t>(user)});
    text_ += field_start;
    add_folded(text_, hris_id);
    text_ += field_start;
    add_folded(text_, email);
    text_ += field_start;
    add_folded(text_, first);
    text_ += ' ';
    add_folded(text_, last);
    text_ += field_start;
    add_folded(text_, last);
}

std::size_t SearchTable::record_end(std::size_t record) const {
    return record + 1 < records_.size() ? records_[record + 1].begin : text_.size();
}

std::size_t SearchTable::record_at(std::size_t at) const {
    auto after = std::upper_bound(records_.begin(), records_.end(), at,
                                  [](std::size_t position, const Record& r) { return position < r.begin; });
    return static_cast<std::size_t>(after - records_.begin()) - 1;
}

SearchTable::Matches SearchTable::search(std::string_view folded, std::int64_t after, std::size_t limit) const {
    // No key holds the table's own bytes (add_folded): such a search matches
    // nothing, rather than across the end of a key.
    if (folded.find_first_of(std::string_view("\x01\x02", 2)) != std::string_view::npos) return {};
    std::string needle(1, field_start);
    needle += folded;
    // One hit a user: past a match, the search goes on after its record.
    std::vector<std::uint32_t> users;
    std::size_t record = 0;
    for (std::size_t at = find_in(text_, needle, 0); at != std::string_view::npos;) {
        // Matches are often in the next records: a few steps before a binary search.
        std::size_t steps = 0;
        while (steps < 4 && record + 1 < records_.size() && records_[record + 1].begin <= at) ++record, ++steps;
        if (steps == 4) record = record_at(at);
        users.push_back(records_[record].user);
        const std::size_t next = record_end(record);
        at = next < text_.size() ? find_in(text_, needle, next) : std::string_view::npos;
    }
    // Records come in the order of ids but for those changed since the table was made.
    if (!std::is_sorted(users.begin(), users.end())) std::sort(users.begin(), users.end());
    Matches matches;
    matches.total = static_cast<std::int64_t>(users.size());
    auto first = std::upper_bound(users.begin(), users.end(), after,
                                  [this](std::int64_t id, std::uint32_t user) { return id < ids_[user]; });
    for (; first != users.end() && matches.ids.size() < limit; ++first) matches.ids.push_back(ids_[*first]);
    matches.more = first != users.end();
    return matches;
}

std::vector<std::int64_t> SearchTable::reports(std::int64_t manager, std::size_t limit, std::int64_t& count) const {
    std::vector<std::int64_t> out;
    count = 0;
    for (std::size_t user = 0; user < managers_.size(); ++user) {
        if (managers_[user] != manager) continue;
        ++count;
        if (out.size() < limit) out.push_back(ids_[user]);
    }
    return out;
}

std::size_t SearchTable::bytes() const {
    return text_.capacity() + ids_.capacity() * sizeof(std::int64_t) + managers_.capacity() * sizeof(std::int64_t) +
           record_of_.capacity() * sizeof(std::uint32_t) + records_.capacity() * sizeof(Record);
}

}  // namespace peoplesync::directory
