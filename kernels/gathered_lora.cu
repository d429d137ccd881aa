// CUDA kernels of the gathered low-rank apply (contract: gathered_lora.h).
//
// Per-pair work is a BGMV-style gathered matrix-vector product: one block per
// (token, pair) for the shrinks (r dot products of length in or out, a warp
// each, reduced by shuffles), one block row per token for the expands (a
// thread per output element, the token's k weighted h vectors in shared
// memory). Memory-bound and simple: each pair reads its adapter's matrix
// once; a tiled SGMV (tokens grouped by adapter, the matrix staged once per
// group) is the next step once a GPU can time the two against each other.
//
// dA and dB: a segment reduction over the pairs sorted by adapter (the
// engine sorts them with a stable sort: `order`, `offsets`), one thread per
// output element walking its adapter's pairs in token order. Not atomics:
// float atomics add in whatever order the blocks run, so two identical steps
// would give different gradients in the last bits and runs would not repeat
// exactly (the workbench promises they do); and with few adapters (8 task
// LoRAs, 8 experts) the r x in outputs per adapter already give enough
// threads. The same reasoning keeps every other sum here in a fixed order.
#include "kernels/cuda_check.cuh"
#include "kernels/gathered_lora.h"

namespace lwb::kernels {

namespace {

using cuda::checkLaunch;
using cuda::fromFloat;
using cuda::toFloat;

constexpr unsigned int kWarp = 32;
constexpr unsigned int kShrinkThreads = 128;
constexpr unsigned int kExpandThreads = 256;
constexpr unsigned int kReduceThreads = 256;
constexpr unsigned int kMostBlocks = 65535;

// A matrix of the stack, read as M(row, col) = base[row * rowStride + col * colStride]:
// A as stored (rowStride in, colStride 1), B^T (1, r), B (r, 1), A^T (1, in).
struct MatrixView
{
    long long matrixStride, rowStride, colStride;
};

// out[p, c] = sum_i M[a_p](c, i) v[t_p, i] for c < rows, i < cols; 0 for an empty slot.
template <typename E>
__global__ void shrinkKernel(const E *matrices, MatrixView view, int rows, long long cols, const E *vectors,
                             const long long *index, int pairsPerToken, float *out)
{
    const long long pair = blockIdx.x;
    const long long adapter = index[pair];
    float *dst = out + pair * rows;
    if (adapter < 0) {
        for (int c = threadIdx.x; c < rows; c += blockDim.x)
            dst[c] = 0.0f;
        return;
    }
    const E *v = vectors + (pair / pairsPerToken) * cols;
    const E *m = matrices + adapter * view.matrixStride;
    const int lane = threadIdx.x % kWarp, warps = blockDim.x / kWarp;
    for (int c = threadIdx.x / kWarp; c < rows; c += warps) {
        float sum = 0.0f;
        for (long long i = lane; i < cols; i += kWarp)
            sum += toFloat(m[c * view.rowStride + i * view.colStride]) * toFloat(v[i]);
        for (int offset = kWarp / 2; offset > 0; offset /= 2)
            sum += __shfl_down_sync(0xffffffffu, sum, offset);
        if (lane == 0)
            dst[c] = sum;
    }
}

// dst[t, o] (+)= sum_j w[t, j] sum_c M[a_tj](o, c) h[t, j, c], o < rows, c < inner.
template <typename E>
__global__ void expandKernel(const E *matrices, MatrixView view, long long rows, int inner, const float *h,
                             const long long *index, const float *weight, int pairsPerToken, E *dst, bool accumulate)
{
    extern __shared__ float weighted[]; // [k, inner]: w[t, j] h[t, j, :], 0 for empty slots
    const long long token = blockIdx.x;
    const long long firstPair = token * pairsPerToken;
    for (int e = threadIdx.x; e < pairsPerToken * inner; e += blockDim.x) {
        const long long pair = firstPair + e / inner;
        weighted[e] = index[pair] >= 0 ? weight[pair] * h[pair * inner + e % inner] : 0.0f;
    }
    __syncthreads();
    for (long long o = blockIdx.y * static_cast<long long>(blockDim.x) + threadIdx.x; o < rows;
         o += static_cast<long long>(gridDim.y) * blockDim.x) {
        float sum = 0.0f;
        for (int j = 0; j < pairsPerToken; ++j) {
            const long long adapter = index[firstPair + j];
            if (adapter < 0)
                continue;
            const E *m = matrices + adapter * view.matrixStride + o * view.rowStride;
            for (int c = 0; c < inner; ++c)
                sum += toFloat(m[c * view.colStride]) * weighted[j * inner + c];
        }
        E *target = dst + token * rows + o;
        *target = fromFloat<E>(accumulate ? toFloat(*target) + sum : sum);
    }
}

// gradWeight[p] = g[p] . h[p] (0 for an empty slot).
__global__ void pairDotKernel(const float *g, const float *h, const long long *index, long long pairs, int rank,
                              float *gradWeight)
{
    for (long long p = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; p < pairs;
         p += static_cast<long long>(gridDim.x) * blockDim.x) {
        float sum = 0.0f;
        if (index[p] >= 0)
            for (int c = 0; c < rank; ++c)
                sum += g[p * rank + c] * h[p * rank + c];
        gradWeight[p] = sum;
    }
}

// One side of an outer product: row `p`'s vector (by pair) or its token's (by token).
template <typename T> struct Side
{
    const T *data;
    long long stride;
    bool byToken;

    __device__ const T *row(long long pair, int pairsPerToken) const
    {
        return data + (byToken ? pair / pairsPerToken : pair) * stride;
    }
};

// out[n](row, col) = sum over adapter n's pairs p, in order, of w_p u_p[row] v_p[col].
template <typename U, typename V>
__global__ void segmentOuterKernel(Side<U> u, Side<V> v, const float *weight, const long long *order,
                                   const long long *offsets, int pairsPerToken, long long rows, long long cols,
                                   float *out)
{
    const long long adapter = blockIdx.y;
    const long long begin = offsets[adapter], end = offsets[adapter + 1];
    float *dst = out + adapter * rows * cols;
    for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < rows * cols;
         e += static_cast<long long>(gridDim.x) * blockDim.x) {
        const long long row = e / cols, col = e % cols;
        float sum = 0.0f;
        for (long long s = begin; s < end; ++s) {
            const long long pair = order[s];
            sum += weight[pair] * toFloat(u.row(pair, pairsPerToken)[row]) * toFloat(v.row(pair, pairsPerToken)[col]);
        }
        dst[e] = sum;
    }
}

void checkShape(const GatheredLoraShape &shape)
{
    if (shape.tokens < 0 || shape.pairs < 1 || shape.adapters < 1 || shape.rank < 1 || shape.in < 1 || shape.out < 1)
        throw std::invalid_argument("gathered LoRA (CUDA): every size must be positive (tokens may be 0)");
    if (shape.pairCount() > 0x7fffffffLL || shape.adapters > kMostBlocks)
        throw std::invalid_argument("gathered LoRA (CUDA): more than 2^31 pairs or 65535 adapters");
    if (shape.pairs * shape.rank * static_cast<long long>(sizeof(float)) > 48 * 1024)
        throw std::invalid_argument("gathered LoRA (CUDA): k * r above 12288 (the expand's shared memory)");
}

template <typename E>
void forward(const GatheredLoraShape &s, const GatheredLoraDeviceBuffers &b, float *h, void *y, cudaStream_t stream)
{
    const auto *x = static_cast<const E *>(b.x);
    const auto *a = static_cast<const E *>(b.loraA);
    const auto *bm = static_cast<const E *>(b.loraB);
    const auto *index = reinterpret_cast<const long long *>(b.index);
    const int k = static_cast<int>(s.pairs), r = static_cast<int>(s.rank);
    shrinkKernel<E><<<static_cast<unsigned int>(s.pairCount()), kShrinkThreads, 0, stream>>>(
        a, MatrixView{s.rank * s.in, s.in, 1}, r, s.in, x, index, k, h);
    checkLaunch("gathered LoRA shrink");
    const dim3 grid(static_cast<unsigned int>(s.tokens), cuda::blocksFor(s.out, kExpandThreads, kMostBlocks));
    expandKernel<E><<<grid, kExpandThreads, s.pairs * s.rank * sizeof(float), stream>>>(
        bm, MatrixView{s.out * s.rank, s.rank, 1}, s.out, r, h, index, b.weight, k, static_cast<E *>(y), true);
    checkLaunch("gathered LoRA expand");
}

template <typename E>
void backward(const GatheredLoraShape &s, const GatheredLoraDeviceBuffers &b, const float *h, const void *gradY,
              const long long *order, const long long *offsets, const GatheredLoraGradients &grads, cudaStream_t stream)
{
    const auto *x = static_cast<const E *>(b.x);
    const auto *a = static_cast<const E *>(b.loraA);
    const auto *bm = static_cast<const E *>(b.loraB);
    const auto *dy = static_cast<const E *>(gradY);
    const auto *index = reinterpret_cast<const long long *>(b.index);
    const int k = static_cast<int>(s.pairs), r = static_cast<int>(s.rank);
    const long long pairs = s.pairCount();
    // g = B^T dy per pair: B read as [r, out] with rowStride 1, colStride r.
    shrinkKernel<E><<<static_cast<unsigned int>(pairs), kShrinkThreads, 0, stream>>>(
        bm, MatrixView{s.out * s.rank, 1, s.rank}, r, s.out, dy, index, k, grads.scratchG);
    checkLaunch("gathered LoRA backward shrink (B^T dy)");
    pairDotKernel<<<cuda::blocksFor(pairs, kReduceThreads, kMostBlocks), kReduceThreads, 0, stream>>>(
        grads.scratchG, h, index, pairs, r, grads.gradWeight);
    checkLaunch("gathered LoRA gate gradient");
    if (grads.gradX != nullptr) {
        // dX = sum_j w A^T g: A read as [in, r] with rowStride 1, colStride in.
        const dim3 grid(static_cast<unsigned int>(s.tokens), cuda::blocksFor(s.in, kExpandThreads, kMostBlocks));
        expandKernel<E><<<grid, kExpandThreads, s.pairs * s.rank * sizeof(float), stream>>>(
            a, MatrixView{s.rank * s.in, 1, s.in}, s.in, r, grads.scratchG, index, b.weight, k,
            static_cast<E *>(grads.gradX), false);
        checkLaunch("gathered LoRA backward expand (A^T g)");
    }
    const auto adapters = static_cast<unsigned int>(s.adapters);
    const dim3 gridA(cuda::blocksFor(s.rank * s.in, kReduceThreads, 4096), adapters);
    segmentOuterKernel<float, E><<<gridA, kReduceThreads, 0, stream>>>(Side<float>{grads.scratchG, s.rank, false},
                                                                       Side<E>{x, s.in, true}, b.weight, order, offsets,
                                                                       k, s.rank, s.in, grads.gradA);
    checkLaunch("gathered LoRA dA");
    const dim3 gridB(cuda::blocksFor(s.out * s.rank, kReduceThreads, 4096), adapters);
    segmentOuterKernel<E, float><<<gridB, kReduceThreads, 0, stream>>>(Side<E>{dy, s.out, true},
                                                                       Side<float>{h, s.rank, false}, b.weight, order,
                                                                       offsets, k, s.out, s.rank, grads.gradB);
    checkLaunch("gathered LoRA dB");
}

} // namespace

void gatheredLoraForwardCuda(const GatheredLoraShape &shape, const GatheredLoraDeviceBuffers &buffers, float *h,
                             void *y, void *stream)
{
    checkShape(shape);
    if (shape.tokens == 0)
        return;
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    if (buffers.element == GatheredElement::BFloat16)
        forward<__nv_bfloat16>(shape, buffers, h, y, cudaStream);
    else
        forward<float>(shape, buffers, h, y, cudaStream);
}

void gatheredLoraBackwardCuda(const GatheredLoraShape &shape, const GatheredLoraDeviceBuffers &buffers, const float *h,
                              const void *gradY, const std::int64_t *order, const std::int64_t *offsets,
                              const GatheredLoraGradients &gradients, void *stream)
{
    checkShape(shape);
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    const auto *sortedPairs = reinterpret_cast<const long long *>(order);
    const auto *runStarts = reinterpret_cast<const long long *>(offsets);
    // No tokens: nothing to launch (a grid of 0 blocks is an error), dA and dB are 0.
    if (shape.tokens == 0) {
        const auto sizeA = static_cast<size_t>(shape.adapters * shape.rank * shape.in) * sizeof(float);
        const auto sizeB = static_cast<size_t>(shape.adapters * shape.out * shape.rank) * sizeof(float);
        if (cudaMemsetAsync(gradients.gradA, 0, sizeA, cudaStream) != cudaSuccess
            || cudaMemsetAsync(gradients.gradB, 0, sizeB, cudaStream) != cudaSuccess)
            checkLaunch("gathered LoRA backward (no tokens)");
        return;
    }
    if (buffers.element == GatheredElement::BFloat16)
        backward<__nv_bfloat16>(shape, buffers, h, gradY, sortedPairs, runStarts, gradients, cudaStream);
    else
        backward<float>(shape, buffers, h, gradY, sortedPairs, runStarts, gradients, cudaStream);
}

} // namespace lwb::kernels
