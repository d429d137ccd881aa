// Precompiled header for the engine and the tests that link it: torch is the
// expensive include. Only stable third-party headers belong here.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>
