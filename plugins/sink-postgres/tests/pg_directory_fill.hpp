// A postgres directory filled as a run would leave it, for the tests that
// read and edit one while the sink's apply() is still being written: the
// schema made as the sink makes it, then by SQL (in a transaction marked as
// peoplesync's apply, so the read-only triggers let it write) the users of a
// snapshot in order (ids from 1), their departments (parents first, synced),
// memberships, managers, the synced field set and the synced flags. Once
// apply() is in, the tests fill through a real run instead.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "connection.hpp"

namespace peoplesync::postgres_test {

// `snapshot` as the webhook takes it ({"users": [...]}, a manager as
// {"hris_id": ...}); every user synced by `pipeline` with `synced_fields`
// ("hris_id,email,...").
void fill_directory(postgres::Connection& connection, const std::string& schema, const nlohmann::json& snapshot,
                    const std::string& pipeline, const std::string& synced_fields);

}  // namespace peoplesync::postgres_test
