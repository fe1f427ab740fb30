# package.cmake -- what `cmake --install` puts beside the binary and the
# harness (the fixtures, the docs), and the Debian package `cpack` makes of
# all of it: deskmock_<version>_<arch>.deb, installing under /usr.

install(DIRECTORY ${PROJECT_SOURCE_DIR}/fixtures/ DESTINATION ${CMAKE_INSTALL_DATADIR}/deskmock/fixtures)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME deskmock)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "mock Zoho Desk platform and test harness for extension webhook receivers")
set(CPACK_PACKAGE_DESCRIPTION "deskmock serves the Desk REST, webhook and invoke APIs on real \
state, delivers Desk's webhook events as Desk does, and checks that a receiver behaves \
(deskmock check). Also libdeskharness, its header, CMake package and pkg-config file, \
and the example receivers and fixtures.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "deskmock")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# the runtime libraries, as dpkg-shlibdeps reads them off the binaries
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# what a C test built against libdeskharness also needs
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "pkg-config, libmicrohttpd-dev, libcjson-dev, libcurl4-openssl-dev, libssl-dev")
include(CPack)
