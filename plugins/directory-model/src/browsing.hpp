// What both directory sinks' browsers (DirectoryBrowser) share, whatever
// their database: the page cursor's format, page sizes, the search's text,
// people's names, and the department list and a user's detail made from
// what each database reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <peoplesync/changeset.hpp>
#include <peoplesync/directory.hpp>

namespace peoplesync::directory_model {

inline constexpr std::size_t most_per_page = 1000;

// `limit` within 1 .. most_per_page.
std::size_t page_size(std::size_t limit);
// A page's next is the last id it holds (the users come in the order of
// their ids), written out, so that the order may change without clients
// noticing.
std::string cursor(std::int64_t id);
// The id a cursor names; 0 for none. Throws Error for what no page gave.
std::int64_t after_cursor(const std::string& after);
// Ends a page read for one user more than `limit` (1 or more): that user
// only says that a next page exists, starting after the last one kept, and
// is dropped. Whether there was one.
bool end_page(UserPage& page, std::size_t limit);

// A search as the browsers take it: trimmed, folded to lower case (ASCII
// only, as SQLite's lower()); throws Error when it is not valid UTF-8.
std::string folded_search(const std::string& search);

// "first last", without a space when either is empty.
std::string person_name(std::string_view first, std::string_view last);

// Gives `departments` (id, parent_id, name read from the database) their
// paths, made as the diff makes them, and sorts them by path.
void name_departments(std::vector<DirectoryDepartment>& departments);

// A user's detail from their record (read with department paths): the
// user, synced fields, and departments with their synced flags, sorted by
// path. The rest (synced, manager, reports...) is the caller's to fill.
DirectoryUserDetail detail_of(DestinationRecord record,
                              const std::unordered_map<std::int64_t, bool>& synced_departments);

}  // namespace peoplesync::directory_model
