// Whole users of the directory: read by id, looked up by hris_id or email,
// and edited by the directory's own users, by the rules both directory
// sinks share (directory-model's user_edits.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include <peoplesync/changeset.hpp>
#include <peoplesync/model.hpp>

#include "records.hpp"

namespace peoplesync::directory {

using directory_model::column_value;
using directory_model::field_columns;
using directory_model::id_list;
using directory_model::split;
using directory_model::texts_of;

// The users with these ids, whole; with their department paths when asked.
std::vector<DestinationRecord> records(sqlite3* db, std::span<const std::int64_t> ids, bool with_paths);
// Users by hris_id, or by email (case-insensitive). Throws when several
// users have the email.
std::vector<DestinationRecord> lookup(sqlite3* db, const std::string& who);

// Sets fields of `record`'s user inside the caller's write transaction:
// every edit is checked first (plan_edits()), then all are written, each
// with its audit row. `who` names the user in messages.
void edit_fields(sqlite3* db, const DestinationRecord& record, const std::string& who,
                 std::span<const std::pair<std::string, std::string>> edits, const std::string& pipeline);

}  // namespace peoplesync::directory
