# Cross-compiling peoplesync for 64-bit Windows with Debian's mingw-w64
# (g++-mingw-w64-x86-64-posix: the POSIX thread model, which std::thread
# needs). scripts/windows passes it, with PEOPLESYNC_WINDOWS_DEPS naming the
# prefix where it built the dependencies.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(PEOPLESYNC_MINGW_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${PEOPLESYNC_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${PEOPLESYNC_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${PEOPLESYNC_MINGW_TRIPLE}-windres)
set(CMAKE_STRIP /usr/bin/${PEOPLESYNC_MINGW_TRIPLE}-strip)
# Poco's CMake wants the message compiler by its full path.
find_program(CMAKE_MC_COMPILER ${PEOPLESYNC_MINGW_TRIPLE}-windmc REQUIRED)

set(CMAKE_FIND_ROOT_PATH ${PEOPLESYNC_WINDOWS_DEPS} /usr/${PEOPLESYNC_MINGW_TRIPLE})
# try_compile() projects see the variables too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PEOPLESYNC_WINDOWS_DEPS)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests and tools run under Wine.
find_program(PEOPLESYNC_WINE wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(PEOPLESYNC_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PEOPLESYNC_WINE})
endif()
