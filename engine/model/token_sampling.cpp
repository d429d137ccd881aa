// See token_sampling.h.
#include "engine/model/token_sampling.h"

namespace lwb {

namespace {

// One row's draw. logits: [V] float64.
std::int64_t sampleRow(const torch::Tensor &logits, const SamplingRule &rule)
{
    const auto probs = torch::softmax(logits / rule.temperature, -1);
    const auto sorted = probs.sort(-1, /*descending=*/true);
    auto values = std::get<0>(sorted);
    const auto order = std::get<1>(sorted);
    if (rule.topK > 0 && rule.topK < values.size(0)) {
        values = values.clone();
        values.narrow(0, rule.topK, values.size(0) - rule.topK).zero_();
        values = values / values.sum();
    }
    const auto before = values.cumsum(-1) - values; // mass of the tokens ahead of each
    const auto kept = values.masked_fill(before >= rule.topP, 0.0);
    return order[torch::multinomial(kept / kept.sum(), 1).item<std::int64_t>()].item<std::int64_t>();
}

} // namespace

TokenSampler::TokenSampler(const SamplingRule &rule, const torch::Tensor &prompts, std::int64_t vocab)
    : rule_(rule)
{
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

std::vector<std::int64_t> TokenSampler::choose(const torch::Tensor &logits) const
{
    auto scores = logits;
    if (seen_.defined()) {
        const double p = rule_.repetitionPenalty;
        scores = torch::where(seen_, torch::where(logits < 0, logits * p, logits / p), logits);
    }
    if (rule_.temperature == 0.0) {
        const auto best = scores.argmax(-1).to(torch::kCPU).contiguous();
        return {best.data_ptr<std::int64_t>(), best.data_ptr<std::int64_t>() + best.numel()};
    }
    const auto wide = scores.to(torch::kDouble);
    std::vector<std::int64_t> tokens;
    for (std::int64_t r = 0; r < wide.size(0); ++r)
        tokens.push_back(sampleRow(wide[r], rule_));
    return tokens;
}

} // namespace lwb
