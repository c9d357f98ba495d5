// What the daemon offers push sources through Host::add_route() and
// Host::push(). Only peoplesyncd has one; elsewhere (the CLI, tests) those
// calls throw, as the SDK's defaults do.
#pragma once

#include <string>

#include <peoplesync/http.hpp>

namespace peoplesync::core {

class PushHost {
public:
    virtual ~PushHost() = default;
    virtual void add_route(const std::string& pipeline, const std::string& path_prefix, HttpHandler& handler) = 0;
    virtual PushGateway& push(const std::string& pipeline) = 0;
};

}  // namespace peoplesync::core
