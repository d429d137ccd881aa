// The reference of SiRA's expert blocks (sira_expert_blocks.h): the slot
// layout by a scan over all (token, choice) pairs per expert instead of a
// counting sort, and the mixture's forward and backward as the formulas read,
// one token and choice at a time, without slots, every sum in double. Slow on
// purpose: it is what the kernel is tested against.
#include "kernels/sira_expert_blocks.h"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace lwb::kernels {

namespace {

std::size_t at(std::int64_t i)
{
    return static_cast<std::size_t>(i);
}

void checkExpert(const ExpertBlocksShape &shape, std::int64_t expert)
{
    if (expert < 0 || expert >= shape.experts)
        throw std::out_of_range("SiRA expert blocks reference: expert " + std::to_string(expert) + " outside [0, "
                                + std::to_string(shape.experts) + ")");
}

} // namespace

ExpertSlotsReference expertSlotsReference(const ExpertBlocksShape &shape, const std::int64_t *experts,
                                          const bool *active)
{
    const auto pairs = shape.tokens * shape.choices;
    for (std::int64_t i = 0; i < pairs; ++i)
        if (active[i])
            checkExpert(shape, experts[i]);
    ExpertSlotsReference layout;
    layout.tokenSlots.assign(at(pairs), -1);
    for (std::int64_t e = 0; e < shape.experts; ++e) {
        layout.offsets.push_back(static_cast<std::int64_t>(layout.slotToken.size()));
        for (std::int64_t i = 0; i < pairs; ++i) {
            if (!active[i] || experts[i] != e)
                continue;
            layout.tokenSlots[at(i)] = static_cast<std::int64_t>(layout.slotToken.size());
            layout.slotToken.push_back(i / shape.choices);
        }
    }
    layout.offsets.push_back(static_cast<std::int64_t>(layout.slotToken.size()));
    return layout;
}

void expertBlocksForwardReference(const ExpertBlocksShape &shape, const double *x, const double *loraA,
                                  const double *loraB, const double *gates, const std::int64_t *experts,
                                  const bool *active, double scale, double *y)
{
    const auto r = shape.rank, in = shape.in, out = shape.out, k = shape.choices;
    std::vector<double> h(at(r));
    for (std::int64_t t = 0; t < shape.tokens; ++t) {
        std::fill_n(y + t * out, out, 0.0);
        for (std::int64_t j = 0; j < k; ++j) {
            if (!active[t * k + j])
                continue;
            const auto e = experts[t * k + j];
            checkExpert(shape, e);
            const auto weight = scale * gates[t * shape.experts + e];
            for (std::int64_t c = 0; c < r; ++c) {
                double dot = 0.0;
                for (std::int64_t i = 0; i < in; ++i)
                    dot += loraA[at((e * r + c) * in + i)] * x[at(t * in + i)];
                h[at(c)] = dot;
            }
            for (std::int64_t o = 0; o < out; ++o) {
                double dot = 0.0;
                for (std::int64_t c = 0; c < r; ++c)
                    dot += loraB[at((e * out + o) * r + c)] * h[at(c)];
                y[t * out + o] += weight * dot;
            }
        }
    }
}

void expertBlocksBackwardReference(const ExpertBlocksShape &shape, const double *x, const double *loraA,
                                   const double *loraB, const double *gates, const std::int64_t *experts,
                                   const bool *active, double scale, const double *gradY, double *gradX, double *gradA,
                                   double *gradB, double *gradGates)
{
    const auto r = shape.rank, in = shape.in, out = shape.out, k = shape.choices, n = shape.experts;
    std::fill_n(gradX, shape.tokens * in, 0.0);
    std::fill_n(gradA, n * r * in, 0.0);
    std::fill_n(gradB, n * out * r, 0.0);
    std::fill_n(gradGates, shape.tokens * n, 0.0);
    std::vector<double> h(at(r)), g(at(r));
    for (std::int64_t t = 0; t < shape.tokens; ++t) {
        for (std::int64_t j = 0; j < k; ++j) {
            if (!active[t * k + j])
                continue;
            const auto e = experts[t * k + j];
            checkExpert(shape, e);
            const auto weight = scale * gates[t * n + e];
            // h = A_e x, g = B_e^T dy: y = weight B_e h, so dL/dgate = s <g, h>.
            double gateDot = 0.0;
            for (std::int64_t c = 0; c < r; ++c) {
                double shrunk = 0.0, back = 0.0;
                for (std::int64_t i = 0; i < in; ++i)
                    shrunk += loraA[at((e * r + c) * in + i)] * x[at(t * in + i)];
                for (std::int64_t o = 0; o < out; ++o)
                    back += loraB[at((e * out + o) * r + c)] * gradY[at(t * out + o)];
                h[at(c)] = shrunk;
                g[at(c)] = back;
                gateDot += shrunk * back;
            }
            gradGates[t * n + e] += scale * gateDot;
            for (std::int64_t c = 0; c < r; ++c)
                for (std::int64_t i = 0; i < in; ++i) {
                    gradX[t * in + i] += weight * loraA[at((e * r + c) * in + i)] * g[at(c)];
                    gradA[(e * r + c) * in + i] += weight * g[at(c)] * x[at(t * in + i)];
                }
            for (std::int64_t o = 0; o < out; ++o)
                for (std::int64_t c = 0; c < r; ++c)
                    gradB[(e * out + o) * r + c] += weight * gradY[at(t * out + o)] * h[at(c)];
        }
    }
}

} // namespace lwb::kernels
