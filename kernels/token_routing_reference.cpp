// The host reference of the one-pass routing (token_routing.h): the contract
// as plain loops, in the order the header states.
#include "kernels/token_routing.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace lwb::kernels {

namespace {

std::size_t at(std::int64_t i)
{
    return static_cast<std::size_t>(i);
}

void checkShape(const TokenRoutingShape &shape)
{
    if (shape.tokens < 0 || shape.experts < 1 || shape.topK < 1 || shape.topK > shape.experts || shape.groups < 1
        || shape.tokens % shape.groups != 0)
        throw std::invalid_argument("token routing: need 1 <= k <= E and tokens a multiple of groups");
}

// expertCapacity() of engine/adapters/sira_routing.cpp, the same double operations.
std::int64_t capacityOf(double factor, std::int64_t topK, std::int64_t realTokens, std::int64_t experts)
{
    if (realTokens <= 0)
        return 0;
    const double exact
        = factor * static_cast<double>(topK) * static_cast<double>(realTokens) / static_cast<double>(experts);
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(exact - 1e-9)));
}

} // namespace

template <typename T>
void routeTokensReference(const TokenRoutingShape &shape, const TokenRoutingOptions &options, const T *logits,
                          const std::uint8_t *real, const std::uint8_t *queues, T *probs,
                          const TokenRoutingOutputs<T> &outputs)
{
    checkShape(shape);
    const auto tokens = shape.tokens, experts = shape.experts, topK = shape.topK;
    auto *counts = outputs.counts;
    std::fill(counts, counts + 3 * experts + 1, 0);
    for (std::int64_t t = 0; t < tokens; ++t) {
        const T *row = logits + t * experts;
        const double top = static_cast<double>(*std::max_element(row, row + experts));
        double sum = 0.0;
        for (std::int64_t e = 0; e < experts; ++e)
            sum += std::exp(static_cast<double>(row[e]) - top);
        for (std::int64_t e = 0; e < experts; ++e)
            probs[t * experts + e] = static_cast<T>(std::exp(static_cast<double>(row[e]) - top) / sum);
        std::vector<bool> taken(at(experts), false);
        for (std::int64_t j = 0; j < topK; ++j) {
            std::int64_t best = -1;
            for (std::int64_t e = 0; e < experts; ++e)
                if (!taken[at(e)] && (best < 0 || probs[t * experts + e] > probs[t * experts + best]))
                    best = e;
            taken[at(best)] = true;
            outputs.experts[t * topK + j] = best;
            if (real[t] != 0) {
                ++counts[best];
                if (j == 0)
                    ++counts[experts + best];
            }
        }
    }
    const auto perGroup = tokens / shape.groups;
    std::vector<std::int64_t> queued(at(experts));
    for (std::int64_t group = 0; group < shape.groups; ++group) {
        const auto start = group * perGroup, end = start + perGroup;
        const auto realCount = std::count_if(real + start, real + end, [](std::uint8_t r) { return r != 0; });
        const bool limited = options.capacityFactor > 0.0;
        const auto capacity = limited ? capacityOf(options.capacityFactor, topK, realCount, experts) : 0;
        if (limited && outputs.capacity != nullptr)
            outputs.capacity[group] = capacity;
        std::fill(queued.begin(), queued.end(), 0);
        for (std::int64_t j = 0; j < topK; ++j)
            for (std::int64_t t = start; t < end; ++t) {
                const auto slot = t * topK + j;
                const bool asks = real[t] != 0 && (queues == nullptr || queues[slot] != 0);
                const auto expert = outputs.experts[slot];
                const bool admitted = asks && (!limited || ++queued[at(expert)] <= capacity);
                outputs.admitted[slot] = admitted ? 1 : 0;
                if (admitted)
                    ++counts[2 * experts + expert];
                else if (asks)
                    ++counts[3 * experts];
            }
    }
    for (std::int64_t t = 0; t < tokens; ++t) {
        T sum = T(0);
        for (std::int64_t j = 0; j < topK; ++j)
            sum += probs[t * experts + outputs.experts[t * topK + j]];
        for (std::int64_t j = 0; j < topK; ++j) {
            const auto slot = t * topK + j;
            const T q = probs[t * experts + outputs.experts[slot]];
            const T gate = options.renormalizeGates ? q / sum : q;
            outputs.gates[slot] = outputs.admitted[slot] != 0 ? gate : T(0);
        }
    }
}

template void routeTokensReference<float>(const TokenRoutingShape &, const TokenRoutingOptions &, const float *,
                                          const std::uint8_t *, const std::uint8_t *, float *,
                                          const TokenRoutingOutputs<float> &);
template void routeTokensReference<double>(const TokenRoutingShape &, const TokenRoutingOptions &, const double *,
                                           const std::uint8_t *, const std::uint8_t *, double *,
                                           const TokenRoutingOutputs<double> &);

} // namespace lwb::kernels
