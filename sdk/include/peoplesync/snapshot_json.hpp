// The guide's JSON format: {"users": [...]}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/error.hpp>
#include <peoplesync/model.hpp>

namespace peoplesync {

// Parses a webhook payload. An empty one throws Error; so does malformed
// JSON (also anything after the value, a NUL byte, a number no double
// holds), naming the byte offset; schema problems (a missing required
// field, a wrong type) become findings located as "users[3].email" on the
// returned snapshot, so one answer can list them all. Unknown keys are
// warnings.
Snapshot parse_snapshot_json(std::string_view json);

// Parses one user object in the guide's format (one element of "users") and
// appends it to snapshot.users with `origin` as its place (returning a view
// of the user added), for sources that
// receive users one at a time ("people.jsonl:12", "GET /workers page 3").
// Nothing throws: malformed JSON, a value that is not an object and schema
// problems all become findings on that record, located with
// Snapshot::locate ("people.jsonl:12.email"), so the pipeline can reject or
// quarantine the record like any other invalid one.
UserView add_user_json(Snapshot& snapshot, std::string origin, std::string_view json);

// Writes the snapshot in the guide's format. `fields` limits the optional
// fields written (the always-synced ones are always written); empty means
// every field.
std::string to_json(const Snapshot& snapshot, const std::vector<std::string>& fields = {});

}  // namespace peoplesync
