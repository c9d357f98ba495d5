# What `cmake --install` and `cpack` ship, besides the targets the
# subdirectories install themselves (the CLI and the daemon, the SDK library
# and headers, the built-in plugins):
#   share/peoplesync/examples/   etc/ and samples/ as in the repository
#   share/doc/peoplesync/        the READMEs
#   lib/cmake/PeopleSyncSDK/     the CMake package plugin authors find_package()
include(CMakePackageConfigHelpers)

set(PEOPLESYNC_EXAMPLES_DIR ${CMAKE_INSTALL_DATADIR}/peoplesync/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/etc/ DESTINATION ${PEOPLESYNC_EXAMPLES_DIR}/etc PATTERN deb EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/samples/ DESTINATION ${PEOPLESYNC_EXAMPLES_DIR}/samples
  PATTERN "build*" EXCLUDE)

# The READMEs keep their places relative to each other, so their links work
# in share/doc as in the repository (tests/install checks every one).
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/docs/performance.md ${PROJECT_SOURCE_DIR}/docs/design.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
file(GLOB doc_images ${PROJECT_SOURCE_DIR}/docs/*.png)
install(FILES ${doc_images} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES ${PROJECT_SOURCE_DIR}/samples/custom-source-plugin/README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/samples/custom-source-plugin)
install(FILES ${PROJECT_SOURCE_DIR}/sdk/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/sdk OPTIONAL)
file(GLOB plugin_readmes RELATIVE ${PROJECT_SOURCE_DIR}/plugins ${PROJECT_SOURCE_DIR}/plugins/*/README.md)
foreach(readme IN LISTS plugin_readmes)
  get_filename_component(folder ${readme} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/plugins/${readme} DESTINATION ${CMAKE_INSTALL_DOCDIR}/plugins/${folder})
endforeach()

# The SDK package. PEOPLESYNC_ABI_VERSION is read from the header the loader
# checks, so the package cannot claim another.
file(STRINGS ${PROJECT_SOURCE_DIR}/sdk/include/peoplesync/abi.hpp abi_line
  REGEX "^#define PEOPLESYNC_ABI_VERSION [0-9]+$")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" PEOPLESYNC_ABI_VERSION "${abi_line}")
set(PEOPLESYNC_SDK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/PeopleSyncSDK)
install(EXPORT PeopleSyncSDKTargets NAMESPACE PeopleSyncSDK:: DESTINATION ${PEOPLESYNC_SDK_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/PeopleSyncSDKConfig.cmake.in
  ${CMAKE_BINARY_DIR}/PeopleSyncSDKConfig.cmake
  INSTALL_DESTINATION ${PEOPLESYNC_SDK_CMAKE_DIR}
  PATH_VARS PEOPLESYNC_PLUGIN_INSTALL_DIR)
# Within a minor version the plugin ABI may still change; the loader's stamp
# check is what decides.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/PeopleSyncSDKConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/PeopleSyncSDKConfig.cmake ${CMAKE_BINARY_DIR}/PeopleSyncSDKConfigVersion.cmake
  DESTINATION ${PEOPLESYNC_SDK_CMAKE_DIR})

# The licence terms, in the place Debian looks for them.
install(FILES ${PROJECT_SOURCE_DIR}/etc/deb/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

if(WIN32)
  # The Windows build packs a zip instead (scripts/windows).
  include(${PROJECT_SOURCE_DIR}/cmake/windows-package.cmake)
  return()
endif()

# What only the .deb installs, outside the prefix (component `deb`, left out of
# a plain `cmake --install`): the service, its configuration, the Debian
# changelog and lintian's overrides. etc/deb holds them and the
# maintainer scripts.
set(PEOPLESYNC_DEB_DIR ${PROJECT_SOURCE_DIR}/etc/deb)
install(FILES ${PROJECT_SOURCE_DIR}/etc/systemd/peoplesyncd.service DESTINATION /lib/systemd/system
  COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PEOPLESYNC_DEB_DIR}/peoplesync.yaml DESTINATION /etc/peoplesync COMPONENT deb EXCLUDE_FROM_ALL)
# postinst gives it to the peoplesync group, which does not exist yet when dpkg unpacks it.
install(FILES ${PEOPLESYNC_DEB_DIR}/peoplesyncd.env DESTINATION /etc/peoplesync
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT deb EXCLUDE_FROM_ALL)
set(deb_changelog ${CMAKE_BINARY_DIR}/deb/changelog.Debian.gz)
set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PEOPLESYNC_DEB_DIR}/changelog)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/deb)
# -n: no name or time stamp in the gzip header, so the package is reproducible.
execute_process(COMMAND gzip -9nc ${PEOPLESYNC_DEB_DIR}/changelog OUTPUT_FILE ${deb_changelog} COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${deb_changelog} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PEOPLESYNC_DEB_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
  RENAME peoplesync COMPONENT deb EXCLUDE_FROM_ALL)

# `cpack -G DEB` in the build folder: one package with the CLI, the daemon
# and its service, the plugins, the SDK and the examples, installed under
# /usr. Its library dependencies come from dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME peoplesync)
set(CPACK_PACKAGE_VENDOR "peoplesync")
set(CPACK_PACKAGE_CONTACT "peoplesync maintainers <peoplesync@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "peoplesync keeps a people directory in step with the HR system of record.
The package holds the peoplesync CLI, the daemon peoplesyncd with its systemd
service, the built-in source and sink plugins, and the plugin SDK (headers,
libpeoplesync-sdk and the CMake package PeopleSyncSDK) for writing new ones.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Both components in the one package: the default one and `deb`.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified deb)
set(CPACK_DEBIAN_PACKAGE_NAME peoplesync)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Debian revision 1: etc/deb/changelog's top entry must name the same version.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The plugins link libpeoplesync-sdk, which the package itself ships.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/lib)
# A shlibs file for libpeoplesync-sdk (etc/deb/triggers runs ldconfig).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
# Appended to the shlibdeps: postinst makes the system user.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "g++, cmake")
file(WRITE ${CMAKE_BINARY_DIR}/deb/conffiles "/etc/peoplesync/peoplesync.yaml\n/etc/peoplesync/peoplesyncd.env\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/deb/conffiles ${PEOPLESYNC_DEB_DIR}/postinst
  ${PEOPLESYNC_DEB_DIR}/prerm ${PEOPLESYNC_DEB_DIR}/postrm ${PEOPLESYNC_DEB_DIR}/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
