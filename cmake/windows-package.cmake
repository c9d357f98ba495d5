# `cpack -G ZIP` in the Windows build (scripts/windows makes it):
# peoplesync-VERSION-win64.zip, one folder with everything needed to run:
#   bin\                    peoplesync.exe, peoplesyncd.exe, the SDK's DLL and
#                           mingw's C++ runtime DLLs (cmake/windows-dependencies.cmake)
#   lib\peoplesync\plugins\ the built-in plugins, the programs' default plugin folder
#   etc\peoplesync.yaml     the shipped configuration, and samples\ beside it, as
#                           in the repository, so that it runs as it is:
#                           bin\peoplesyncd.exe --config etc\peoplesync.yaml
#   include\, lib\cmake\    the SDK, for plugin authors (with mingw-w64's g++)
#   share\doc\peoplesync\   the READMEs
install(FILES ${PROJECT_SOURCE_DIR}/etc/peoplesync.yaml DESTINATION etc)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/samples/ DESTINATION samples PATTERN "build*" EXCLUDE)

set(CPACK_GENERATOR ZIP)
set(CPACK_PACKAGE_NAME peoplesync)
set(CPACK_PACKAGE_VENDOR "peoplesync")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_SYSTEM_NAME win64)
set(CPACK_STRIP_FILES ON)
include(CPack)
