// A transaction on one of the stores' Poco SQLite sessions that rolls back
// unless it was committed — also when SQLite already ended it: a full disk
// (SQLITE_FULL) can roll the transaction back with the statement, and Poco's
// rollback() would then throw "no transaction is active" in place of the
// error that matters, and leave its session thinking it is still in one.
#pragma once

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>

#include "sqlite_statement.hpp"

namespace peoplesync::core {

class SessionTransaction {
public:
    explicit SessionTransaction(Poco::Data::Session& session) : session_(session) { session_.begin(); }
    ~SessionTransaction() {
        if (!committed_) sqlite::roll_back(Poco::Data::SQLite::Utility::dbHandle(session_));
    }
    SessionTransaction(const SessionTransaction&) = delete;
    SessionTransaction& operator=(const SessionTransaction&) = delete;

    void commit() {
        session_.commit();
        committed_ = true;
    }

private:
    Poco::Data::Session& session_;
    bool committed_ = false;
};

}  // namespace peoplesync::core
