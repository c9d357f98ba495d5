#include "durable_session.hpp"

#include <system_error>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>

#include <peoplesync/error.hpp>

namespace peoplesync::core {

using namespace Poco::Data::Keywords;

std::unique_ptr<Poco::Data::Session> open_durable_session(const std::filesystem::path& state_database,
                                                          const sqlite::SchemaVersion& version,
                                                          std::span<const sqlite::Migration> migrations,
                                                          const std::string& what_prefix) {
    Poco::Data::SQLite::Connector::registerConnector();
    std::error_code ec;
    if (state_database.has_parent_path()) std::filesystem::create_directories(state_database.parent_path(), ec);
    try {
        auto session = std::make_unique<Poco::Data::Session>("SQLite", state_database.string());
        auto& s = *session;
        s << "PRAGMA journal_mode=WAL", now;
        s << "PRAGMA busy_timeout=10000", now;
        s << "PRAGMA synchronous=FULL", now;
        sqlite::migrate(Poco::Data::SQLite::Utility::dbHandle(s), version, migrations);
        return session;
    } catch (const Poco::Exception& e) {
        throw Error("state database " + state_database.string() + ": " + what_prefix + e.displayText());
    } catch (const Error& e) {
        throw Error("state database " + state_database.string() + ": " + what_prefix + e.what());
    }
}

}  // namespace peoplesync::core
