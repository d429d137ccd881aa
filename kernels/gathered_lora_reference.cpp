// The host reference of the gathered low-rank apply (gathered_lora.h): the
// formulas as written, one pair at a time, every sum in double. Slow on
// purpose: it is what the CUDA kernels and the engine's LibTorch fallback are
// tested against.
#include "kernels/gathered_lora.h"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace lwb::kernels {

namespace {

std::size_t at(std::int64_t i)
{
    return static_cast<std::size_t>(i);
}

void checkIndex(const GatheredLoraShape &shape, std::int64_t adapter)
{
    if (adapter < -1 || adapter >= shape.adapters)
        throw std::out_of_range("gathered LoRA: adapter index " + std::to_string(adapter) + " outside [-1, "
                                + std::to_string(shape.adapters) + ")");
}

} // namespace

template <typename T>
void gatheredLoraForwardReference(const GatheredLoraShape &shape, const T *x, const T *loraA, const T *loraB,
                                  const std::int64_t *index, const T *weight, T *h, T *y)
{
    const auto r = shape.rank, in = shape.in, out = shape.out, k = shape.pairs;
    std::vector<double> shrunk(at(r));
    for (std::int64_t t = 0; t < shape.tokens; ++t) {
        std::vector<double> sum(at(out), 0.0);
        for (std::int64_t j = 0; j < k; ++j) {
            const auto pair = t * k + j;
            const auto adapter = index[pair];
            checkIndex(shape, adapter);
            for (std::int64_t c = 0; c < r; ++c) {
                double dot = 0.0;
                if (adapter >= 0)
                    for (std::int64_t i = 0; i < in; ++i)
                        dot += static_cast<double>(loraA[at((adapter * r + c) * in + i)])
                               * static_cast<double>(x[at(t * in + i)]);
                shrunk[at(c)] = static_cast<double>(static_cast<T>(dot)); // h as stored, as the expand reads it
                h[at(pair * r + c)] = static_cast<T>(dot);
            }
            if (adapter < 0)
                continue;
            const auto w = static_cast<double>(weight[pair]);
            for (std::int64_t o = 0; o < out; ++o) {
                double dot = 0.0;
                for (std::int64_t c = 0; c < r; ++c)
                    dot += static_cast<double>(loraB[at((adapter * out + o) * r + c)]) * shrunk[at(c)];
                sum[at(o)] += w * dot;
            }
        }
        for (std::int64_t o = 0; o < out; ++o)
            y[at(t * out + o)] = static_cast<T>(static_cast<double>(y[at(t * out + o)]) + sum[at(o)]);
    }
}

template <typename T>
void gatheredLoraBackwardReference(const GatheredLoraShape &shape, const T *x, const T *loraA, const T *loraB,
                                   const std::int64_t *index, const T *weight, const T *h, const T *gradY, T *gradX,
                                   T *gradA, T *gradB, T *gradWeight)
{
    const auto r = shape.rank, in = shape.in, out = shape.out, k = shape.pairs, n = shape.adapters;
    std::vector<double> accA(at(n * r * in), 0.0), accB(at(n * out * r), 0.0), g(at(r));
    for (std::int64_t t = 0; t < shape.tokens; ++t) {
        std::vector<double> accX(at(in), 0.0);
        for (std::int64_t j = 0; j < k; ++j) {
            const auto pair = t * k + j;
            const auto adapter = index[pair];
            checkIndex(shape, adapter);
            if (adapter < 0) {
                gradWeight[pair] = T(0);
                continue;
            }
            const auto w = static_cast<double>(weight[pair]);
            double gradW = 0.0;
            for (std::int64_t c = 0; c < r; ++c) {
                double dot = 0.0;
                for (std::int64_t o = 0; o < out; ++o)
                    dot += static_cast<double>(loraB[at((adapter * out + o) * r + c)])
                           * static_cast<double>(gradY[at(t * out + o)]);
                g[at(c)] = dot;
                gradW += dot * static_cast<double>(h[at(pair * r + c)]);
            }
            gradWeight[pair] = static_cast<T>(gradW);
            for (std::int64_t c = 0; c < r; ++c)
                for (std::int64_t i = 0; i < in; ++i) {
                    accX[at(i)] += w * static_cast<double>(loraA[at((adapter * r + c) * in + i)]) * g[at(c)];
                    accA[at((adapter * r + c) * in + i)] += w * g[at(c)] * static_cast<double>(x[at(t * in + i)]);
                }
            for (std::int64_t o = 0; o < out; ++o)
                for (std::int64_t c = 0; c < r; ++c)
                    accB[at((adapter * out + o) * r + c)]
                        += w * static_cast<double>(gradY[at(t * out + o)]) * static_cast<double>(h[at(pair * r + c)]);
        }
        for (std::int64_t i = 0; i < in; ++i)
            gradX[at(t * in + i)] = static_cast<T>(accX[at(i)]);
    }
    std::transform(accA.begin(), accA.end(), gradA, [](double v) { return static_cast<T>(v); });
    std::transform(accB.begin(), accB.end(), gradB, [](double v) { return static_cast<T>(v); });
}

template void gatheredLoraForwardReference<float>(const GatheredLoraShape &, const float *, const float *,
                                                  const float *, const std::int64_t *, const float *, float *, float *);
template void gatheredLoraForwardReference<double>(const GatheredLoraShape &, const double *, const double *,
                                                   const double *, const std::int64_t *, const double *, double *,
                                                   double *);
template void gatheredLoraBackwardReference<float>(const GatheredLoraShape &, const float *, const float *,
                                                   const float *, const std::int64_t *, const float *, const float *,
                                                   const float *, float *, float *, float *, float *);
template void gatheredLoraBackwardReference<double>(const GatheredLoraShape &, const double *, const double *,
                                                    const double *, const std::int64_t *, const double *,
                                                    const double *, const double *, double *, double *, double *,
                                                    double *);

} // namespace lwb::kernels
