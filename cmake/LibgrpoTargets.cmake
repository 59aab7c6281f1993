# Helpers shared by libgrpo's own targets.

# Warnings for our code only; third-party headers come in as SYSTEM.
function(libgrpo_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-missing-field-initializers>)
endfunction()

# One precompiled <torch/torch.h> for every target that uses torch: it is
# built once, in libgrpo_pch, and reused (compile flags must match).
add_library(libgrpo_pch OBJECT "${CMAKE_CURRENT_LIST_DIR}/pch.cpp")
target_link_libraries(libgrpo_pch PUBLIC ${TORCH_LIBRARIES})
target_compile_options(libgrpo_pch PUBLIC $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-missing-field-initializers>)
target_precompile_headers(libgrpo_pch PRIVATE <torch/torch.h>)
if(LIBGRPO_USING_CCACHE)
  target_compile_options(libgrpo_pch PUBLIC $<$<COMPILE_LANGUAGE:CXX>:-fpch-preprocess>)
endif()

function(libgrpo_use_pch target)
  target_precompile_headers(${target} REUSE_FROM libgrpo_pch)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    # The shared header was compiled -fPIC; an executable's default -fPIE
    # would invalidate it, so executables compile -fPIC too (still linked PIE).
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -fPIC)
  endif()
  libgrpo_warnings(${target})
endfunction()

# libgrpo_library(<name> ALIAS <ns::name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...] [NO_TORCH])
# Public headers in <dir>/include/<dir>/, sources in <dir>/src/. NO_TORCH: the
# library neither uses nor loads torch (no precompiled torch header).
function(libgrpo_library name)
  cmake_parse_arguments(arg "NO_TORCH" "ALIAS;EXPORT_NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} ${arg_SOURCES})
  add_library(${arg_ALIAS} ALIAS ${name})
  # Installed, our libraries find each other (grpo::rewards needs grpo::sandbox,
  # which a consumer may never name) next to themselves.
  set_target_properties(${name} PROPERTIES EXPORT_NAME ${arg_EXPORT_NAME}
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR} INSTALL_RPATH "$ORIGIN")
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${name} PUBLIC ${arg_DEPS} PRIVATE ${arg_PRIVATE_DEPS})
  # libtorch.so exports its own copy of std::filesystem (some of it broken:
  # remove_all jumps to address 0). Naming libstdc++ first on the link line puts it
  # ahead of libtorch in symbol lookup, for us and for programs that link us.
  target_link_options(${name} BEFORE PUBLIC
    "SHELL:-Wl,--push-state,--no-as-needed -lstdc++ -Wl,--pop-state")
  if(arg_NO_TORCH)
    libgrpo_warnings(${name})
  else()
    libgrpo_use_pch(${name})
  endif()
  install(TARGETS ${name} EXPORT libgrpoTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
