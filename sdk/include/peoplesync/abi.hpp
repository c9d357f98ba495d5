// The plugin ABI stamp. A plugin and the host exchange C++ objects (strings,
// vectors, virtual classes), so they must agree on the SDK headers, the
// compiler's C++ ABI and the standard library. The loader reads this C
// struct from a plugin before it calls anything else and refuses a plugin
// whose stamp differs.
//
// Change PEOPLESYNC_ABI_VERSION whenever a header under peoplesync/ changes;
// the test `sdk_abi_lock` fails until sdk/abi.lock is updated with it.
#pragma once

// Set on a compiler's command line, the version would no longer say which
// headers a plugin was built with, and the loader's check would mean nothing.
#ifdef PEOPLESYNC_ABI_VERSION
#error "PEOPLESYNC_ABI_VERSION comes from peoplesync/abi.hpp: remove -DPEOPLESYNC_ABI_VERSION from the compile command"
#endif
#define PEOPLESYNC_ABI_VERSION 20

#if defined(_WIN32)
#define PEOPLESYNC_EXPORT __declspec(dllexport)
#else
#define PEOPLESYNC_EXPORT __attribute__((visibility("default")))
#endif

#define PEOPLESYNC_STRINGIFY_(x) #x
#define PEOPLESYNC_STRINGIFY(x) PEOPLESYNC_STRINGIFY_(x)

#if defined(__clang__)
#define PEOPLESYNC_COMPILER "clang-" PEOPLESYNC_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define PEOPLESYNC_COMPILER "gcc-" PEOPLESYNC_STRINGIFY(__GNUC__)
#elif defined(_MSC_VER)
#define PEOPLESYNC_COMPILER "msvc-" PEOPLESYNC_STRINGIFY(_MSC_VER)
#else
#define PEOPLESYNC_COMPILER "unknown"
#endif

#include <cstddef>  // defines the standard library's version macros

#if defined(_GLIBCXX_RELEASE)
#define PEOPLESYNC_STDLIB \
    "libstdc++-" PEOPLESYNC_STRINGIFY(_GLIBCXX_RELEASE) "-cxx11abi" PEOPLESYNC_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define PEOPLESYNC_STDLIB "libc++-" PEOPLESYNC_STRINGIFY(_LIBCPP_VERSION)
#elif defined(_MSC_VER)
#define PEOPLESYNC_STDLIB "msvcstl"
#else
#define PEOPLESYNC_STDLIB "unknown"
#endif

#define PEOPLESYNC_CXX_STANDARD PEOPLESYNC_STRINGIFY(__cplusplus)

extern "C" {
// Plain C, so it can be read from any library, whatever it was built with.
struct peoplesync_abi_stamp {
    unsigned magic;        // PEOPLESYNC_ABI_MAGIC: "this is a peoplesync plugin"
    unsigned abi_version;  // PEOPLESYNC_ABI_VERSION
    const char* compiler;  // "gcc-12"
    const char* stdlib;    // "libstdc++-12-cxx11abi1"
    const char* cxx_standard;
};
}

#define PEOPLESYNC_ABI_MAGIC 0x50534e43u  // "PSNC"

#define PEOPLESYNC_ABI_STAMP_INIT \
    { PEOPLESYNC_ABI_MAGIC, PEOPLESYNC_ABI_VERSION, PEOPLESYNC_COMPILER, PEOPLESYNC_STDLIB, PEOPLESYNC_CXX_STANDARD }

namespace peoplesync {
// The stamp the host (and the SDK library) was built with.
const peoplesync_abi_stamp& host_abi_stamp();
}  // namespace peoplesync
