// What an exception says, for a log line or an answer: a Poco exception's
// what() is only its class's name ("Database full"); its displayText() has
// the message after it ("Database full: database or disk is full").
#pragma once

#include <exception>
#include <string>

#include <Poco/Exception.h>

namespace peoplesync::core {

inline std::string error_text(const std::exception& e) {
    if (const auto* poco = dynamic_cast<const Poco::Exception*>(&e)) return poco->displayText();
    return e.what();
}

}  // namespace peoplesync::core
