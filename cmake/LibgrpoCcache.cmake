# Compile through ccache when it is there. Its cache lives where ccache keeps it
# by default (~/.cache/ccache), outside the checkout, so clones share it.
# The sloppiness settings let ccache reuse objects built with precompiled
# headers; BASEDIR makes paths relative, so a second clone hits the cache.
if(LIBGRPO_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(LIBGRPO_CCACHE_PROGRAM ccache)
  if(LIBGRPO_CCACHE_PROGRAM)
    set(launcher ${CMAKE_COMMAND} -E env
        "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
        "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" CCACHE_NOHASHDIR=1
        ${LIBGRPO_CCACHE_PROGRAM})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
    set(CMAKE_CUDA_COMPILER_LAUNCHER ${launcher})
    set(LIBGRPO_USING_CCACHE ON)
  endif()
endif()
