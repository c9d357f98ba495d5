#include "version.hpp"

#include "plugin_host.hpp"

namespace peoplesync::core {

const char* version() {
    return PEOPLESYNC_VERSION;
}

std::string version_text(const std::string& program) {
    return program + " " + version() + "\nplugins: " + describe_abi(host_abi_stamp()) + "\n";
}

}  // namespace peoplesync::core
