// Compiled by abi_version_not_overridable.cmake, never linked.
#include <peoplesync/abi.hpp>

int main() {
    return PEOPLESYNC_ABI_VERSION > 0 ? 0 : 1;
}
