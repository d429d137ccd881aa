// Peak memory of a benchmark on its device, for the GPU check's table
// (packaging/gpu_check.sh): on CUDA the caching allocator's peak of allocated
// bytes (what torch.cuda.max_memory_allocated() reports for the Python peer),
// on the CPU the resident high-water mark. engine/core/runtime.cpp's
// peakMemoryBytes() reads the resident set on every device, which on a GPU
// counts the host side only, so benchmarks that compare against the peer ask
// here instead.
#pragma once

#include "engine/core/runtime.h"

#include <torch/types.h>

#if defined(LWB_HAVE_CUDA) && __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define LWB_BENCH_CUDA_ALLOCATOR 1
#endif

namespace lwb::bench {

inline double peakMemoryMiB(const torch::Device &device)
{
#ifdef LWB_BENCH_CUDA_ALLOCATOR
    if (device.is_cuda()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
        return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0); // [0]: all pools
    }
#endif
    return static_cast<double>(peakMemoryBytes(device)) / (1024.0 * 1024.0);
}

} // namespace lwb::bench
