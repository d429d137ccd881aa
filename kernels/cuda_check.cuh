// Small helpers shared by the .cu files of kernels/: element conversions
// (float32 and bfloat16, accumulated in float32) and the launch check.
// No torch headers: these files compile with nvcc alone, in seconds.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace lwb::kernels::cuda {

__device__ __forceinline__ float toFloat(float v)
{
    return v;
}
__device__ __forceinline__ float toFloat(__nv_bfloat16 v)
{
    return __bfloat162float(v);
}

template <typename E> __device__ __forceinline__ E fromFloat(float v);
template <> __device__ __forceinline__ float fromFloat<float>(float v)
{
    return v;
}
// Round to nearest even, as torch's float -> bfloat16 conversion.
template <> __device__ __forceinline__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v)
{
    return __float2bfloat16_rn(v);
}

// Throws when the last launch failed (bad configuration, no kernel image for
// this GPU). Reads no device state, so it never waits for the device.
inline void checkLaunch(const char *what)
{
    const cudaError_t status = cudaGetLastError();
    if (status != cudaSuccess)
        throw std::runtime_error(std::string(what) + ": CUDA launch failed: " + cudaGetErrorString(status));
}

inline unsigned int blocksFor(long long work, unsigned int threads, unsigned int most)
{
    const long long blocks = (work + threads - 1) / threads;
    return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > most ? most : blocks));
}

} // namespace lwb::kernels::cuda
