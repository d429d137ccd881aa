// See token_sampling.h.
#include "engine/model/token_sampling.h"

#include "engine/core/error.h"

#include <tuple>

namespace lwb {

namespace {

// One row's distribution, most probable first: softmax(logits / T), top-k,
// top-p, as the header says. logits: [V] float64. Returns (probabilities
// that sum to 1, the token of each).
std::tuple<torch::Tensor, torch::Tensor> keptSorted(const torch::Tensor &logits, const SamplingRule &rule)
{
    const auto probs = torch::softmax(logits / rule.temperature, -1);
    const auto sorted = probs.sort(-1, /*descending=*/true);
    auto values = std::get<0>(sorted);
    if (rule.topK > 0 && rule.topK < values.size(0)) {
        values = values.clone();
        values.narrow(0, rule.topK, values.size(0) - rule.topK).zero_();
        values = values / values.sum();
    }
    const auto before = values.cumsum(-1) - values; // mass of the tokens ahead of each
    const auto kept = values.masked_fill(before >= rule.topP, 0.0);
    return {kept / kept.sum(), std::get<1>(sorted)};
}

} // namespace

TokenSampler::TokenSampler(const SamplingRule &rule, const torch::Tensor &prompts, std::int64_t vocab)
    : rule_(rule)
{
    if (!(rule_.repetitionPenalty > 0.0))
        throw Error("generation",
                    "the repetition penalty must be > 0 (1: off), not " + std::to_string(rule_.repetitionPenalty));
    if (rule_.topK < 0)
        throw Error("generation", "top-k must be >= 0 (0: off), not " + std::to_string(rule_.topK));
    if (rule_.repetitionPenalty != 1.0) {
        seen_ = torch::zeros({prompts.size(0), vocab}, prompts.options().dtype(torch::kBool));
        seen_.scatter_(1, prompts, true);
    }
}

void TokenSampler::append(const torch::Tensor &tokens)
{
    if (seen_.defined())
        seen_.scatter_(1, tokens.reshape({-1, 1}).to(seen_.device()), true);
}

torch::Tensor TokenSampler::penalized(const torch::Tensor &logits) const
{
    if (!seen_.defined())
        return logits;
    const double p = rule_.repetitionPenalty;
    return torch::where(seen_, torch::where(logits < 0, logits * p, logits / p), logits);
}

torch::Tensor TokenSampler::probabilities(const torch::Tensor &logits) const
{
    const auto wide = penalized(logits).to(torch::kDouble);
    auto out = torch::zeros_like(wide);
    if (rule_.temperature == 0.0)
        return out.scatter_(1, wide.argmax(-1, /*keepdim=*/true), 1.0);
    for (std::int64_t r = 0; r < wide.size(0); ++r) {
        const auto [kept, order] = keptSorted(wide[r], rule_);
        out[r].scatter_(0, order, kept);
    }
    return out;
}

std::vector<double> TokenSampler::drawnProbabilities(const torch::Tensor &logits,
                                                     const std::vector<std::int64_t> &tokens) const
{
    if (static_cast<std::int64_t>(tokens.size()) != logits.size(0))
        throw Error("generation", "drawnProbabilities: " + std::to_string(tokens.size()) + " tokens for "
                                      + std::to_string(logits.size(0)) + " rows of logits");
    const auto index = torch::tensor(tokens, torch::kInt64).to(logits.device()).unsqueeze(1);
    const auto drawn = probabilities(logits).gather(1, index).squeeze(1).to(torch::kCPU).contiguous();
    return {drawn.data_ptr<double>(), drawn.data_ptr<double>() + drawn.numel()};
}

std::vector<std::int64_t> TokenSampler::choose(const torch::Tensor &logits) const
{
    const auto scores = penalized(logits);
    if (rule_.temperature == 0.0) {
        const auto best = scores.argmax(-1).to(torch::kCPU).contiguous();
        return {best.data_ptr<std::int64_t>(), best.data_ptr<std::int64_t>() + best.numel()};
    }
    const auto wide = scores.to(torch::kDouble);
    std::vector<std::int64_t> tokens;
    for (std::int64_t r = 0; r < wide.size(0); ++r) {
        // Drawn in the sorted order (as the rule always drew), so a seed keeps its text.
        const auto [kept, order] = keptSorted(wide[r], rule_);
        tokens.push_back(order[torch::multinomial(kept, 1).item<std::int64_t>()].item<std::int64_t>());
    }
    return tokens;
}

} // namespace lwb
