# The dependencies of the Windows build (cmake/mingw-w64.cmake), from the
# prefix scripts/windows builds: Poco, yaml-cpp, GoogleTest and OpenSSL as
# static libraries, the machine's header-only Boost and nlohmann/json.
#
# - Boost.DLL header-only, over std::filesystem (no Boost.Filesystem to build).
# - SQLite: the copy bundled in PocoDataSQLite (its header copied into the
#   prefix), so that the directory sink's C API calls and Poco::Data share one.
# - No PostgreSQL: libpq is not built for Windows, and the postgres sink is
#   left out of the Windows build.
find_path(PEOPLESYNC_BOOST_INCLUDE_DIR boost/dll.hpp REQUIRED)
add_library(Boost::filesystem INTERFACE IMPORTED)
target_include_directories(Boost::filesystem INTERFACE ${PEOPLESYNC_BOOST_INCLUDE_DIR})
target_compile_definitions(Boost::filesystem INTERFACE BOOST_DLL_USE_STD_FS)

set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation Util Net NetSSL Crypto Data DataSQLite)
# Poco's headers include <Winsock2.h> and others with capitals; mingw's
# headers are lower case. scripts/windows made links with those names.
set_property(TARGET Poco::Foundation APPEND PROPERTY INTERFACE_INCLUDE_DIRECTORIES ${PEOPLESYNC_WINDOWS_DEPS}/mingw-case)
# Static OpenSSL on Windows needs the system's socket and crypto libraries.
set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 crypt32 bcrypt)

find_path(PEOPLESYNC_SQLITE_INCLUDE_DIR sqlite3.h REQUIRED)
add_library(SQLite::SQLite3 INTERFACE IMPORTED)
target_include_directories(SQLite::SQLite3 INTERFACE ${PEOPLESYNC_SQLITE_INCLUDE_DIR})
target_link_libraries(SQLite::SQLite3 INTERFACE Poco::DataSQLite)

# Windows has no rpath: a program finds its DLLs beside it (and so does a
# plugin loaded by it). The SDK and mingw's C++ runtime DLLs go to bin/: one
# libstdc++ for the programs and every plugin, as on Linux, so that the C++
# objects and exceptions that cross the plugin boundary mean the same on
# both sides.
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++-6.dll
  OUTPUT_VARIABLE PEOPLESYNC_LIBSTDCXX_DLL OUTPUT_STRIP_TRAILING_WHITESPACE)
get_filename_component(PEOPLESYNC_MINGW_RUNTIME_DIR ${PEOPLESYNC_LIBSTDCXX_DLL} DIRECTORY)
find_file(PEOPLESYNC_WINPTHREAD_DLL libwinpthread-1.dll
  PATHS /usr/${PEOPLESYNC_MINGW_TRIPLE}/lib NO_CMAKE_FIND_ROOT_PATH REQUIRED)
set(PEOPLESYNC_MINGW_RUNTIME_DLLS ${PEOPLESYNC_MINGW_RUNTIME_DIR}/libstdc++-6.dll
  ${PEOPLESYNC_MINGW_RUNTIME_DIR}/libgcc_s_seh-1.dll ${PEOPLESYNC_WINPTHREAD_DLL})
# Debian's carry their debugging symbols (libstdc++-6.dll: 23 MB, 2 MB
# without): the copies in bin/, which the zip takes, are stripped.
foreach(dll ${PEOPLESYNC_MINGW_RUNTIME_DLLS})
  get_filename_component(name ${dll} NAME)
  set(copy ${CMAKE_BINARY_DIR}/bin/${name})
  if(NOT EXISTS ${copy} OR ${dll} IS_NEWER_THAN ${copy})
    file(COPY ${dll} DESTINATION ${CMAKE_BINARY_DIR}/bin)
    execute_process(COMMAND ${CMAKE_STRIP} --strip-unneeded ${copy} COMMAND_ERROR_IS_FATAL ANY)
  endif()
  install(FILES ${copy} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()
