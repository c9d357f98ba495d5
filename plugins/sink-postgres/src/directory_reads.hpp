// What the differ and the run read from the directory's tables: the index
// (all of it, or what a change-only run can touch), users' full records,
// and the state token. The same answers as the directory sink's
// index_loading.cpp and user_records.cpp give from SQLite.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <peoplesync/changeset.hpp>

#include "connection.hpp"

namespace peoplesync::postgres {

DestinationIndex read_index(Connection& connection, const std::string& schema);
// The users not synced, those of these hris_ids, and the count of synced users.
DestinationIndex read_index_for(Connection& connection, const std::string& schema,
                                std::span<const std::string> hris_ids);
// In the order of their ids; ids no user has are left out.
std::vector<DestinationRecord> read_records(Connection& connection, const std::string& schema,
                                            std::span<const std::int64_t> ids);
// Of these hris_ids, those a user of the directory has, synced or not.
std::vector<std::string> read_held_hris_ids(Connection& connection, const std::string& schema,
                                            std::span<const std::string> hris_ids);
// The same inside the caller's transaction.
std::vector<DestinationRecord> read_records_within(Connection& connection, const std::string& schema,
                                                   std::span<const std::int64_t> ids);
// "postgres INSTANCE generation N": raised by every write through peoplesync.
std::string read_state_token(Connection& connection, const std::string& schema);

// A PostgreSQL array literal ({"a","b"}) of texts, for = ANY($1::text[]).
std::string text_array(std::span<const std::string> texts);
// The same ({1,2}) of ids, for = ANY($1::bigint[]).
std::string id_array(std::span<const std::int64_t> ids);

}  // namespace peoplesync::postgres
