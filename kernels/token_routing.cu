// The one-pass routing on CUDA (contract: token_routing.h). One block per
// group, three phases separated by __syncthreads:
//   1. per token (a thread each, striding): softmax in float32 (max, then
//      the sum of exp in expert order, each p = exp(l - max) / sum, IEEE
//      division), stored in the logits' type; top-k by k scans of the
//      stored values with a strict ">" (ties: lower index); the real count.
//   2. the queues: for each choice j, the group's tokens in chunks of
//      blockDim; inside a warp, the lanes asking for the same expert find
//      each other with __match_any_sync and take their rank among the lower
//      lanes; the per-warp counts in shared memory give each warp its offset;
//      a running count per expert carries over chunks. Integers only, so the
//      positions are the host's exactly.
//   3. per token: the gates (q summed in choice order from 0, q / sum) and
//      the counts (integer atomics: exact in any order).
#include "kernels/cuda_check.cuh"
#include "kernels/token_routing.h"

namespace lwb::kernels {

namespace {

using cuda::checkLaunch;
using cuda::fromFloat;
using cuda::toFloat;

constexpr int kMostExperts = 128;
constexpr int kThreads = 1024;
constexpr int kWarps = kThreads / 32;

template <typename E>
__global__ void routeKernel(TokenRoutingShape shape, TokenRoutingOptions options, const E *logits,
                            const unsigned char *real, const unsigned char *queues, E *probs,
                            TokenRoutingOutputs<float> out)
{
    __shared__ int warpCounts[kWarps][kMostExperts];
    __shared__ int queued[kMostExperts];
    __shared__ int counts[3 * kMostExperts + 1];
    __shared__ int realCount;
    __shared__ long long capacity;

    const int experts = static_cast<int>(shape.experts), topK = static_cast<int>(shape.topK);
    const long long perGroup = shape.tokens / shape.groups;
    const long long start = blockIdx.x * perGroup, end = start + perGroup;
    for (int e = threadIdx.x; e < 3 * experts + 1; e += blockDim.x)
        counts[e] = 0;
    for (int e = threadIdx.x; e < experts; e += blockDim.x)
        queued[e] = 0;
    if (threadIdx.x == 0)
        realCount = 0;
    __syncthreads();

    // 1. softmax and top-k per token.
    int myReal = 0;
    for (long long t = start + threadIdx.x; t < end; t += blockDim.x) {
        const E *row = logits + t * experts;
        E *p = probs + t * experts;
        float top = toFloat(row[0]);
        for (int e = 1; e < experts; ++e)
            top = fmaxf(top, toFloat(row[e]));
        float sum = 0.0f;
        for (int e = 0; e < experts; ++e)
            sum += expf(toFloat(row[e]) - top);
        for (int e = 0; e < experts; ++e)
            p[e] = fromFloat<E>(expf(toFloat(row[e]) - top) / sum);
        // k scans; a chosen expert is skipped by comparing with the earlier choices.
        for (int j = 0; j < topK; ++j) {
            int best = -1;
            float bestValue = 0.0f;
            for (int e = 0; e < experts; ++e) {
                bool taken = false;
                for (int i = 0; i < j; ++i)
                    taken = taken || out.experts[t * topK + i] == e;
                const float value = toFloat(p[e]);
                if (!taken && (best < 0 || value > bestValue)) {
                    best = e;
                    bestValue = value;
                }
            }
            out.experts[t * topK + j] = best;
        }
        myReal += real[t] != 0 ? 1 : 0;
    }
    atomicAdd(&realCount, myReal);
    __syncthreads();
    const bool limited = options.capacityFactor > 0.0;
    if (threadIdx.x == 0 && limited) {
        // expertCapacity(): the same double operations as the host.
        long long c = 0;
        if (realCount > 0) {
            const double exact = options.capacityFactor * static_cast<double>(topK) * static_cast<double>(realCount)
                                 / static_cast<double>(experts);
            c = static_cast<long long>(ceil(exact - 1e-9));
            c = c < 1 ? 1 : c;
        }
        capacity = c;
        if (out.capacity != nullptr)
            out.capacity[blockIdx.x] = c;
    }
    __syncthreads();

    // 2. queue positions in (choice, token) order.
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const unsigned int lowerLanes = (1u << lane) - 1u;
    for (int j = 0; j < topK; ++j)
        for (long long chunk = start; chunk < end; chunk += blockDim.x) {
            for (int e = threadIdx.x; e < kWarps * experts; e += blockDim.x)
                warpCounts[e / experts][e % experts] = 0;
            __syncthreads();
            const long long t = chunk + threadIdx.x;
            const long long slot = t * topK + j;
            const bool asks = t < end && real[t] != 0 && (queues == nullptr || queues[slot] != 0);
            const int expert = t < end ? static_cast<int>(out.experts[slot]) : -1;
            const int key = asks ? expert : -1;
            const unsigned int peers = __match_any_sync(0xffffffffu, key);
            const int rank = __popc(peers & lowerLanes);
            if (asks && rank == 0)
                warpCounts[warp][expert] = __popc(peers);
            __syncthreads();
            if (t < end) {
                bool admitted = asks;
                if (asks && limited) {
                    int position = queued[expert] + rank + 1;
                    for (int w = 0; w < warp; ++w)
                        position += warpCounts[w][expert];
                    admitted = position <= capacity;
                }
                out.admitted[slot] = admitted ? 1 : 0;
                if (admitted)
                    atomicAdd(&counts[2 * experts + expert], 1);
                else if (asks)
                    atomicAdd(&counts[3 * experts], 1);
            }
            __syncthreads();
            for (int e = threadIdx.x; e < experts; e += blockDim.x)
                for (int w = 0; w < kWarps; ++w)
                    queued[e] += warpCounts[w][e];
            __syncthreads();
        }

    // 3. gates and counts per token.
    for (long long t = start + threadIdx.x; t < end; t += blockDim.x) {
        float sum = 0.0f;
        for (int j = 0; j < topK; ++j)
            sum += toFloat(probs[t * experts + out.experts[t * topK + j]]);
        for (int j = 0; j < topK; ++j) {
            const long long slot = t * topK + j;
            const int expert = static_cast<int>(out.experts[slot]);
            const float q = toFloat(probs[t * experts + expert]);
            const float gate = options.renormalizeGates ? q / sum : q;
            out.gates[slot] = out.admitted[slot] != 0 ? gate : 0.0f;
            if (real[t] != 0) {
                atomicAdd(&counts[expert], 1);
                if (j == 0)
                    atomicAdd(&counts[experts + expert], 1);
            }
        }
    }
    __syncthreads();
    for (int e = threadIdx.x; e < 3 * experts + 1; e += blockDim.x)
        atomicAdd(reinterpret_cast<unsigned long long *>(out.counts + e), static_cast<unsigned long long>(counts[e]));
}

} // namespace

void routeTokensCuda(const TokenRoutingShape &shape, const TokenRoutingOptions &options, bool bfloat16,
                     const void *logits, const std::uint8_t *real, const std::uint8_t *queues, void *probs,
                     const TokenRoutingOutputs<float> &outputs, void *stream)
{
    if (shape.tokens < 0 || shape.experts < 1 || shape.topK < 1 || shape.topK > shape.experts || shape.groups < 1
        || shape.tokens % shape.groups != 0)
        throw std::invalid_argument("token routing (CUDA): need 1 <= k <= E and tokens a multiple of groups");
    if (shape.experts > kMostExperts || shape.groups > 0x7fffffffLL)
        throw std::invalid_argument("token routing (CUDA): at most 128 experts and 2^31 groups");
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    const auto countBytes = static_cast<size_t>(3 * shape.experts + 1) * sizeof(std::int64_t);
    if (cudaMemsetAsync(outputs.counts, 0, countBytes, cudaStream) != cudaSuccess)
        checkLaunch("token routing (zeroing the counts)");
    if (shape.tokens == 0) {
        if (outputs.capacity != nullptr && options.capacityFactor > 0.0
            && cudaMemsetAsync(outputs.capacity, 0, static_cast<size_t>(shape.groups) * sizeof(std::int64_t),
                               cudaStream)
                   != cudaSuccess)
            checkLaunch("token routing (no tokens)");
        return;
    }
    const auto grid = static_cast<unsigned int>(shape.groups);
    if (bfloat16)
        routeKernel<__nv_bfloat16>
            <<<grid, kThreads, 0, cudaStream>>>(shape, options, static_cast<const __nv_bfloat16 *>(logits), real,
                                                queues, static_cast<__nv_bfloat16 *>(probs), outputs);
    else
        routeKernel<float><<<grid, kThreads, 0, cudaStream>>>(shape, options, static_cast<const float *>(logits), real,
                                                              queues, static_cast<float *>(probs), outputs);
    checkLaunch("token routing");
}

} // namespace lwb::kernels
