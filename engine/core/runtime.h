// Process-wide runtime set-up for the engine: torch's thread count, device
// parsing, memory figures and the version line.
//
// Debian's LibTorch starts with one intra-op thread; a run that never calls
// configureThreads() trains at a fraction of the machine's speed.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace lwb {

// Sets torch's intra-op thread count (and OpenMP's, which OpenBLAS uses).
// requested <= 0 means "one per hardware thread". Returns the count set.
int configureThreads(int requested);

// "cpu", "cuda", "cuda:N". Throws lwb::Error for anything else or for a CUDA
// device this build or machine does not have.
torch::Device parseDevice(const std::string &text);

// Peak memory of the run so far: resident set high-water mark for the CPU,
// the caching allocator's peak for CUDA (when the build has CUDA).
std::int64_t peakMemoryBytes(const torch::Device &device);

// "lorawb 0.1.0 (engine: Qt-free; LibTorch 1.13.1; CUDA: not available)".
std::string versionLine(const std::string &program);

} // namespace lwb
