// Install test fixture, built against the installed SDK but stamped as if
// built for the next plugin ABI: peoplesync must refuse it before calling it.
#include <peoplesync/plugin.hpp>

extern "C" PEOPLESYNC_EXPORT const peoplesync_abi_stamp* peoplesync_plugin_abi() {
    static const peoplesync_abi_stamp stamp = {PEOPLESYNC_ABI_MAGIC, PEOPLESYNC_ABI_VERSION + 1, PEOPLESYNC_COMPILER,
                                               PEOPLESYNC_STDLIB, PEOPLESYNC_CXX_STANDARD};
    return &stamp;
}

extern "C" PEOPLESYNC_EXPORT const peoplesync::PluginInfo* peoplesync_plugin_info() {
    __builtin_trap();
}
