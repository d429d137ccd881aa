// TokenSampler: how generate() (generation.h) turns each row's last logits
// into its next token, in transformers' order of logits processors:
//   1. repetition penalty (Keskar et al. 2019, CTRL; transformers'
//      RepetitionPenaltyLogitsProcessor): for every token the row holds,
//      prompt included, logit / p when positive, logit * p when negative;
//   2. greedy: argmax (on the device, one transfer per step);
//   3. sampling: softmax(logits / temperature) in float64, then top-k (the k
//      most probable, renormalised), then top-p (the most probable tokens
//      until their mass reaches P, the one crossing P kept), renormalised;
//      one torch::multinomial draw per row from the global generator.
// Without top-k this is bit for bit the rule `lorawb generate` always had,
// so a seed gives the text it gave before. penalized() and probabilities()
// expose steps 1 and 3 so that tests compare them with transformers' own
// logits processors (tests/fixtures/sampling); drawnProbabilities() is what
// the playground shows beside the model's own probability: the chance the
// rule gave the token it drew (1 for greedy's argmax), from the same code.
#pragma once

#include <torch/types.h>

#include <vector>

namespace lwb {

struct SamplingRule
{
    double temperature = 0.0; // 0: greedy
    std::int64_t topK = 0;    // 0: off
    double topP = 1.0;
    double repetitionPenalty = 1.0; // 1: off
};

class TokenSampler
{
public:
    // prompts: [R, T] int64 (padding repeats a row's own tokens, so it adds
    // nothing to what the row holds); vocab: the logits' width.
    TokenSampler(const SamplingRule &rule, const torch::Tensor &prompts, std::int64_t vocab);

    // logits [R, V] of each row's newest position -> one token per row.
    std::vector<std::int64_t> choose(const torch::Tensor &logits) const;

    // The logits after the repetition penalty (the logits themselves when it is off).
    torch::Tensor penalized(const torch::Tensor &logits) const;

    // The distribution each row draws from, [R, V] float64 in vocabulary
    // order: sampling (temperature > 0) zero where top-k / top-p cut and
    // renormalised; greedy one-hot at the argmax of the penalised logits
    // (the token choose() takes, lowest id on ties as argmax gives).
    torch::Tensor probabilities(const torch::Tensor &logits) const;

    // Each row's probability of its token under the rule: probabilities()
    // at tokens[r]. Call before append() with the logits choose() had.
    std::vector<double> drawnProbabilities(const torch::Tensor &logits, const std::vector<std::int64_t> &tokens) const;

    // Tokens appended to the rows (what the penalty counts from now on).
    void append(const torch::Tensor &tokens);

private:
    SamplingRule rule_;
    torch::Tensor seen_; // [R, V] bool, repetition penalty only
};

} // namespace lwb
