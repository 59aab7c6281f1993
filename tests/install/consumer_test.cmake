# Installs the build tree into a scratch prefix, then builds and runs
# examples/consumer against it the way a team's trainer would:
# find_package(libgrpo) and target_link_libraries(... grpo::core).
file(REMOVE_RECURSE ${SCRATCH})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT code EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${code}): ${cmd}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${SCRATCH}/prefix)
foreach(f include/libgrpo/error.h include/libgrpo/config.h include/rewards/reward.h
          include/sandbox/protocol.h lib/cmake/libgrpo/libgrpoConfig.cmake bin/grpo)
  if(NOT EXISTS ${SCRATCH}/prefix/${f})
    message(FATAL_ERROR "cmake --install did not install ${f}")
  endif()
endforeach()

set(launcher "")
if(CCACHE)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE}")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/consumer -B ${SCRATCH}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${SCRATCH}/prefix -DTorch_DIR=${TORCH_DIR} ${launcher})
run(${CMAKE_COMMAND} --build ${SCRATCH}/build)
run(${SCRATCH}/build/consumer)
message(STATUS "consumer output:\n${last_output}")
if(NOT last_output MATCHES "format reward")
  message(FATAL_ERROR "unexpected consumer output")
endif()

# A custom loop around Trainer::step() with a user-defined reward.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/custom_loop -B ${SCRATCH}/build-loop -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${SCRATCH}/prefix -DTorch_DIR=${TORCH_DIR} ${launcher})
run(${CMAKE_COMMAND} --build ${SCRATCH}/build-loop)
run(${SCRATCH}/build-loop/custom_loop)
message(STATUS "custom_loop output:\n${last_output}")
if(NOT last_output MATCHES "step 30  reward 0\\.[6-9]|step 30  reward 1\\.0")
  message(FATAL_ERROR "the custom loop did not raise its reward above 0.6 in 30 steps")
endif()
