// Shared public datasets in tests: skip with a message when they are absent (a user's clone),
// fail when CI=true (CI has them).
#pragma once

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "support/test_db.h"

// Sets `var` to the dataset's path, or skips/fails the test when it is missing.
#define KEEL_DATASET_OR_SKIP(var, relative)                                                          \
  std::string var = ::keel::testing::SharedDataset(relative);                                       \
  if (var.empty()) {                                                                                \
    const char* ci = std::getenv("CI");                                                             \
    if (ci && std::string(ci) == "true") FAIL() << "dataset " << (relative) << " is missing in CI"; \
    GTEST_SKIP() << "dataset " << (relative) << " not found (../shared/datasets); skipped";         \
  }
