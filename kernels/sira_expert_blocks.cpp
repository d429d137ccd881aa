// See sira_expert_blocks.h. The loops and products here are the ones
// engine/adapters/sira_expert_blocks.cpp ran before they moved into this
// layer, in the same order: the engine's results did not change by a bit.
#include "kernels/sira_expert_blocks.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

namespace lwb::kernels {

namespace {

std::size_t at(std::int64_t i)
{
    return static_cast<std::size_t>(i);
}

} // namespace

std::vector<std::int64_t> expertSlotOffsets(const ExpertBlocksShape &shape, const std::int64_t *experts,
                                            const bool *active)
{
    // A counting sort: the count per expert, then the running sum.
    std::vector<std::int64_t> offsets(at(shape.experts + 1), 0);
    for (std::int64_t i = 0; i < shape.tokens * shape.choices; ++i) {
        if (!active[i])
            continue;
        if (experts[i] < 0 || experts[i] >= shape.experts)
            throw std::out_of_range("SiRA expert blocks: token "
                                    + std::to_string(i / std::max<std::int64_t>(shape.choices, 1)) + " chose expert "
                                    + std::to_string(experts[i]) + ", outside [0, " + std::to_string(shape.experts)
                                    + ")");
        ++offsets[at(experts[i] + 1)];
    }
    for (std::int64_t e = 0; e < shape.experts; ++e)
        offsets[at(e + 1)] += offsets[at(e)];
    return offsets;
}

template <typename T>
void fillExpertSlots(const ExpertBlocksShape &shape, const std::vector<std::int64_t> &offsets,
                     const std::int64_t *experts, const bool *active, const T *gates, double scale,
                     std::int64_t *slotToken, T *slotGate, std::int64_t *tokenSlots)
{
    // Tokens in order, each expert's next free slot: within an expert the
    // slots follow token, then choice, order.
    std::vector<std::int64_t> next(offsets.begin(), offsets.end() - 1);
    for (std::int64_t t = 0; t < shape.tokens; ++t) {
        for (std::int64_t j = 0; j < shape.choices; ++j) {
            const auto i = t * shape.choices + j;
            if (!active[i]) {
                tokenSlots[i] = -1;
                continue;
            }
            const auto expert = experts[i];
            const auto slot = next[at(expert)]++;
            slotToken[slot] = t;
            slotGate[slot] = static_cast<T>(static_cast<double>(gates[t * shape.experts + expert]) * scale);
            tokenSlots[i] = slot;
        }
    }
}

template <typename T> void expertBlockForward(const ExpertBlocksForward<T> &buffers, std::int64_t expert)
{
    const auto &shape = buffers.shape;
    const auto rank = shape.rank, in = shape.in, out = shape.out;
    const auto first = buffers.offsets[expert], count = buffers.offsets[expert + 1] - first;
    const auto *slotToken = buffers.slotToken;
    const T *slotGate = buffers.slotGate;
    T *xs = buffers.gathered, *h = buffers.hidden, *g = buffers.gated;
    for (std::int64_t i = first; i < first + count; ++i)
        std::memcpy(xs + i * in, buffers.x + slotToken[i] * in, at(in) * sizeof(T));
    // h = x_e A_e^T; g = h * gate s; y = g B_e^T. An expert without slots:
    // empty products (m = 0).
    buffers.gemm(false, true, count, rank, in, T(1), xs + first * in, in, buffers.loraA + expert * rank * in, in, T(0),
                 h + first * rank, rank);
    for (std::int64_t i = first; i < first + count; ++i)
        for (std::int64_t j = 0; j < rank; ++j)
            g[i * rank + j] = h[i * rank + j] * slotGate[i];
    buffers.gemm(false, true, count, out, rank, T(1), g + first * rank, rank, buffers.loraB + expert * out * rank, rank,
                 T(0), buffers.expanded + first * out, out);
}

template <typename T> void expertBlockBackward(const ExpertBlocksBackward<T> &buffers, std::int64_t expert)
{
    const auto &shape = buffers.shape;
    const auto rank = shape.rank, in = shape.in, out = shape.out, expertCount = shape.experts;
    const auto first = buffers.offsets[expert], count = buffers.offsets[expert + 1] - first;
    const auto *slotToken = buffers.slotToken;
    const T *slotGate = buffers.slotGate, *h = buffers.hidden;
    T *gs = buffers.gradSlotsOut, *dg = buffers.gradGated, *dh = buffers.gradHidden;
    for (std::int64_t i = first; i < first + count; ++i)
        std::memcpy(gs + i * out, buffers.gradOut + slotToken[i] * out, at(out) * sizeof(T));
    // dg = dy B_e; dB_e = dy^T g (the sum over no slots, k = 0, is zeros).
    buffers.gemm(false, false, count, rank, out, T(1), gs + first * out, out, buffers.loraB + expert * out * rank, rank,
                 T(0), dg + first * rank, rank);
    buffers.gemm(true, false, out, rank, count, T(1), gs + first * out, out, buffers.gated + first * rank, rank, T(0),
                 buffers.gradB + expert * out * rank, rank);
    // d(gate) = s <dg, h>; dh = dg * gate s.
    for (std::int64_t i = first; i < first + count; ++i) {
        T dot = 0;
        for (std::int64_t j = 0; j < rank; ++j) {
            dot += dg[i * rank + j] * h[i * rank + j];
            dh[i * rank + j] = dg[i * rank + j] * slotGate[i];
        }
        if (buffers.gradGates)
            buffers.gradGates[slotToken[i] * expertCount + expert]
                = static_cast<T>(static_cast<double>(dot) * buffers.scale);
    }
    // dA_e = dh^T x_e; dx_e = dh A_e.
    buffers.gemm(true, false, rank, in, count, T(1), dh + first * rank, rank, buffers.gathered + first * in, in, T(0),
                 buffers.gradA + expert * rank * in, in);
    if (buffers.gradSlotsIn)
        buffers.gemm(false, false, count, in, rank, T(1), dh + first * rank, rank, buffers.loraA + expert * rank * in,
                     in, T(0), buffers.gradSlotsIn + first * in, in);
}

template <typename T>
void addSlotsPerToken(const std::int64_t *tokenSlots, std::int64_t choices, const T *slotRows, std::int64_t width,
                      T *rows, std::int64_t firstToken, std::int64_t endToken)
{
    for (std::int64_t t = firstToken; t < endToken; ++t) {
        T *row = rows + t * width;
        std::fill_n(row, width, T(0));
        for (std::int64_t j = 0; j < choices; ++j) {
            const auto slot = tokenSlots[t * choices + j];
            if (slot < 0)
                continue;
            const T *source = slotRows + slot * width;
            for (std::int64_t c = 0; c < width; ++c)
                row[c] += source[c];
        }
    }
}

template void fillExpertSlots<float>(const ExpertBlocksShape &, const std::vector<std::int64_t> &, const std::int64_t *,
                                     const bool *, const float *, double, std::int64_t *, float *, std::int64_t *);
template void fillExpertSlots<double>(const ExpertBlocksShape &, const std::vector<std::int64_t> &,
                                      const std::int64_t *, const bool *, const double *, double, std::int64_t *,
                                      double *, std::int64_t *);
template void expertBlockForward<float>(const ExpertBlocksForward<float> &, std::int64_t);
template void expertBlockForward<double>(const ExpertBlocksForward<double> &, std::int64_t);
template void expertBlockBackward<float>(const ExpertBlocksBackward<float> &, std::int64_t);
template void expertBlockBackward<double>(const ExpertBlocksBackward<double> &, std::int64_t);
template void addSlotsPerToken<float>(const std::int64_t *, std::int64_t, const float *, std::int64_t, float *,
                                      std::int64_t, std::int64_t);
template void addSlotsPerToken<double>(const std::int64_t *, std::int64_t, const double *, std::int64_t, double *,
                                       std::int64_t, std::int64_t);

} // namespace lwb::kernels
