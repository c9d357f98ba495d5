# A plugin compiled with -DPEOPLESYNC_ABI_VERSION=<n> would stamp itself with
# a version its headers are not, and pass the loader's check: abi.hpp must
# refuse it. The plain compile shows the probe itself compiles.
# Run with -DCXX=<compiler> -DINCLUDE_DIR=<sdk/include> -DPROBE=<abi_version_probe.cpp>.
execute_process(COMMAND "${CXX}" -std=c++20 -fsyntax-only "-I${INCLUDE_DIR}" "${PROBE}"
  RESULT_VARIABLE plain_status ERROR_VARIABLE plain_errors)
if(NOT plain_status EQUAL 0)
  message(FATAL_ERROR "the probe does not compile without -D: ${plain_errors}")
endif()
execute_process(COMMAND "${CXX}" -std=c++20 -fsyntax-only -DPEOPLESYNC_ABI_VERSION=999 "-I${INCLUDE_DIR}" "${PROBE}"
  RESULT_VARIABLE override_status ERROR_VARIABLE override_errors)
if(override_status EQUAL 0)
  message(FATAL_ERROR "-DPEOPLESYNC_ABI_VERSION=999 compiled: abi.hpp let the command line set the ABI version")
endif()
if(NOT override_errors MATCHES "PEOPLESYNC_ABI_VERSION comes from peoplesync/abi.hpp")
  message(FATAL_ERROR "-DPEOPLESYNC_ABI_VERSION=999 failed, but not with abi.hpp's error: ${override_errors}")
endif()
message(STATUS "-DPEOPLESYNC_ABI_VERSION=999 refused: ${override_errors}")
