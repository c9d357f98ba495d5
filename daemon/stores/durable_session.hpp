// The state database as the request log and the outbox open it: on their own
// connection, in WAL mode, with synchronous=FULL (what they acknowledge must
// survive a power cut, not only a crash), and with their migrations applied.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include <Poco/Data/Session.h>

#include "sqlite_migrations.hpp"

namespace peoplesync::core {

// Throws Error("state database PATH: <what_prefix>...") when it cannot open
// or migrate; what_prefix names the component ("the outbox: ") or is empty.
std::unique_ptr<Poco::Data::Session> open_durable_session(const std::filesystem::path& state_database,
                                                          const sqlite::SchemaVersion& version,
                                                          std::span<const sqlite::Migration> migrations,
                                                          const std::string& what_prefix);

}  // namespace peoplesync::core
