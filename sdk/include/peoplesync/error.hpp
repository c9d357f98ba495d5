// The errors peoplesync and its plugins throw.
#pragma once

#include <stdexcept>
#include <string>

namespace peoplesync {

// An error a user can act on, saying where and what.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message);
    ~Error() override;
};

// A configuration that cannot be used. The message starts with the file,
// line and key: "peoplesync.yaml:14:7: pipelines[0].source.path: ...".
class ConfigError : public Error {
public:
    explicit ConfigError(const std::string& message);
    ~ConfigError() override;
};

}  // namespace peoplesync
