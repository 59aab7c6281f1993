# Finds LibTorch.
#
# Order: whatever the user points at (-DTorch_DIR=..., -DCMAKE_PREFIX_PATH=...),
# then the project venv that scripts/bootstrap creates (.venv, torch==2.11.0
# from PyPI), asked through torch.utils.cmake_prefix_path.
#
# Then LIBGRPO_CUDA: ON by default when nvcc is installed and the LibTorch
# found is a CUDA build. No GPU is needed to configure or build.

# A CUDA build of LibTorch compiles and runs a probe for the local GPU at
# configure time unless told which architectures to target; there may be no
# GPU here, so say it: Hopper (H100/H200) and the common data-centre parts.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
endif()
if(NOT DEFINED CMAKE_CUDA_STANDARD)
  set(CMAKE_CUDA_STANDARD 17)   # CMake 3.25 does not know nvcc 13's C++20 flag
endif()
find_package(Torch QUIET CONFIG)
if(NOT Torch_FOUND)
  set(venv_python "${PROJECT_SOURCE_DIR}/.venv/bin/python")
  if(EXISTS "${venv_python}")
    execute_process(
      COMMAND "${venv_python}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_VARIABLE torch_error RESULT_VARIABLE torch_result)
    if(torch_result EQUAL 0)
      list(APPEND CMAKE_PREFIX_PATH "${torch_prefix}")
      set(LIBGRPO_TORCH_PREFIX "${torch_prefix}" CACHE PATH "LibTorch's CMake prefix" FORCE)
    endif()
  endif()
  find_package(Torch CONFIG)
endif()
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "libgrpo needs LibTorch 2.11.\n"
    "  Either run scripts/bootstrap (installs torch==2.11.0 into .venv), or point CMake at\n"
    "  your own LibTorch: -DCMAKE_PREFIX_PATH=/path/to/libtorch (or -DTorch_DIR=.../share/cmake/Torch).")
endif()
if(Torch_VERSION VERSION_LESS 2.11)
  message(WARNING "libgrpo is developed against LibTorch 2.11; found ${Torch_VERSION}")
endif()
get_filename_component(LIBGRPO_TORCH_LIBDIR "${TORCH_LIBRARY}" DIRECTORY)

include(CheckLanguage)
check_language(CUDA)
set(cuda_default OFF)
if(CMAKE_CUDA_COMPILER AND TARGET torch_cuda)
  set(cuda_default ON)
endif()
option(LIBGRPO_CUDA "Build the CUDA extensions (needs nvcc and a CUDA build of LibTorch)" ${cuda_default})
if(LIBGRPO_CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    message(FATAL_ERROR "LIBGRPO_CUDA=ON but no CUDA compiler (nvcc) was found")
  endif()
  if(NOT TARGET torch_cuda)
    message(FATAL_ERROR "LIBGRPO_CUDA=ON but the LibTorch found (${Torch_DIR}) is not a CUDA build")
  endif()
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90a)   # Hopper: wgmma and the tensor memory accelerator
  endif()
  enable_language(CUDA)
endif()
message(STATUS "libgrpo: LibTorch ${Torch_VERSION} from ${Torch_DIR}; CUDA extensions ${LIBGRPO_CUDA}")
