// Every option table of the configuration file, for the README's check and
// for listings.
#pragma once

#include <string>
#include <vector>

#include <peoplesync/config.hpp>

namespace peoplesync::core {

struct OptionSection {
    // The keys' place in the file: "" (top level), "http", "http.tls",
    // "pipelines[]", "pipelines[].sync", "pipelines[].sinks[].retry", ...
    std::string path;
    std::vector<OptionSpec> options;
};

std::vector<OptionSection> configuration_option_tables();

// http.tls (daemon_settings.cpp).
const std::vector<OptionSpec>& tls_options();

}  // namespace peoplesync::core
