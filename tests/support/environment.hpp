// Setting and removing a test's environment variables, on Linux and Windows.
#pragma once

#include <cstdlib>

namespace peoplesync::testing {

inline void set_env(const char* name, const char* value) {
#if defined(_WIN32)
    ::_putenv_s(name, value);
#else
    ::setenv(name, value, 1);
#endif
}

inline void unset_env(const char* name) {
#if defined(_WIN32)
    ::_putenv_s(name, "");  // an empty value removes it
#else
    ::unsetenv(name);
#endif
}

}  // namespace peoplesync::testing
