# cmake --install: headers, libraries, the grpo tools and a package config, so
# that a consumer writes
#   find_package(libgrpo REQUIRED)
#   target_link_libraries(my_trainer PRIVATE grpo::core)
include(CMakePackageConfigHelpers)
set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/libgrpo)
install(EXPORT libgrpoTargets NAMESPACE grpo:: DESTINATION ${config_dir})
configure_package_config_file(cmake/libgrpoConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/libgrpoConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/libgrpoConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/libgrpoConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/libgrpoConfigVersion.cmake
        DESTINATION ${config_dir})
