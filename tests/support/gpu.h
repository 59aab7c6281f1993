// GPU tests live in suites named Gpu* (ctest label `gpu`) and start with
// GRPO_REQUIRE_CUDA(), which skips them cleanly on machines without a device.
#pragma once

#include <gtest/gtest.h>
#include <torch/cuda.h>

#define GRPO_REQUIRE_CUDA()                                                 \
  do {                                                                      \
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";     \
  } while (0)
