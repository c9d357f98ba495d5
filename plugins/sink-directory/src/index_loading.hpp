// What the directory holds, as the differ reads it: its users (id, hris_id,
// email, active, synced, sync hash), departments and the memberships outside
// sync; all of it, or for a change-only run only what the run can touch.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <sqlite3.h>

#include <peoplesync/plugin.hpp>

namespace peoplesync::directory {

DestinationIndex read_index(sqlite3* db);
// The users not synced, those of these hris_ids, and the count of synced users.
DestinationIndex read_index_for(sqlite3* db, std::span<const std::string> hris_ids);
// Which of these hris_ids the database at `file` holds, read on a connection of
// its own that only reads: the sink's own may be in a run on another thread,
// and WAL lets both read at once.
std::vector<std::string> held_hris_ids(const std::string& file, int busy_timeout_ms,
                                       std::span<const std::string> hris_ids);

}  // namespace peoplesync::directory
