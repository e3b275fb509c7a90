# The Debian package (CPack, DEB): the binary in /usr/bin, the libnode it links in a private
# /usr/lib/torus (the binary's RUNPATH points there), the unit files, a default config (a
# conffile), the example app, the docs and a man page made by help2man from `torus --help`.
# Build it with:
#   cmake --build BUILD --target torus torus_manpage   (both part of a full build)
#   cpack --config BUILD/CPackConfig.cmake -B BUILD/pkg     -> BUILD/pkg/torus_VERSION_amd64.deb
# Depends are computed by dpkg-shlibdeps over every ELF file in the package.
# One RUNPATH for the build tree and the package, both relative to the binary: the package's
# /usr/bin/torus finds /usr/lib/torus; build/PRESET/server/torus finds third_party/ (a path
# under / once installed, which only root could create). The same string in both places means
# CMake never edits it at install, and so never pads it with the empty entry (the current
# directory, to the loader) that its in-place editor adds.
set_target_properties(torus PROPERTIES BUILD_WITH_INSTALL_RPATH ON
  INSTALL_RPATH "\$ORIGIN/../lib/torus:\$ORIGIN/../../../third_party/prefix/usr/lib/x86_64-linux-gnu")
install(TARGETS torus RUNTIME DESTINATION bin)
install(FILES "${TORUS_PREFIX}/lib/x86_64-linux-gnu/libnode.so.108" DESTINATION lib/torus)
install(FILES "${CMAKE_SOURCE_DIR}/systemd/torus.service" "${CMAKE_SOURCE_DIR}/systemd/torus.socket"
        DESTINATION lib/systemd/system)
install(FILES "${CMAKE_SOURCE_DIR}/packaging/deb/torus.toml" DESTINATION /etc/torus)
install(DIRECTORY "${CMAKE_SOURCE_DIR}/examples/hello" DESTINATION share/torus/examples)
install(FILES "${CMAKE_SOURCE_DIR}/docs/deployment.md" "${CMAKE_SOURCE_DIR}/docs/configuration.md"
        DESTINATION share/doc/torus)

# The man page: `torus --help` is its source, as it is the flags' (server/config.cc).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(manpage "${CMAKE_BINARY_DIR}/torus.1.gz")
  add_custom_command(OUTPUT "${manpage}"
    COMMAND "${HELP2MAN}" --no-info --section=1 --name "JavaScript web server on V8 and io_uring"
            --version-string "${PROJECT_VERSION}" $<TARGET_FILE:torus> | gzip -9n > "${manpage}"
    DEPENDS torus VERBATIM)
  add_custom_target(torus_manpage ALL DEPENDS "${manpage}")
  install(FILES "${manpage}" DESTINATION share/man/man1 OPTIONAL)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME torus)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "torus maintainers <torus@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "JavaScript web server (WinterTC fetch handlers) on V8 and io_uring")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${TORUS_PREFIX}/lib/x86_64-linux-gnu")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_STRIP_FILES bin/torus)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/packaging/deb/postinst;${CMAKE_SOURCE_DIR}/packaging/deb/prerm;${CMAKE_SOURCE_DIR}/packaging/deb/postrm;${CMAKE_SOURCE_DIR}/packaging/deb/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
