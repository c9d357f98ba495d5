// What `--version` says: peoplesync's version (CMake's PROJECT_VERSION) and
// the plugin ABI its binaries load.
#pragma once

#include <string>

namespace peoplesync::core {

const char* version();

// "peoplesyncd 0.1.0\nplugins: ABI 9, gcc-12, libstdc++-12-cxx11abi1\n"
std::string version_text(const std::string& program);

}  // namespace peoplesync::core
