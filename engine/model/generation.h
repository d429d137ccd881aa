// Generation: the one decoding loop of the workbench (the evaluator's exact
// match, DLP-LoRA's routed generation and `lorawb generate` all call it).
//
// A batch of equal-length prompts (no padding) is run once (the prefill,
// which fills a KvCache); then each step picks one token per row from the
// last position's logits and runs only that new position. Greedy takes the
// argmax; sampling takes top-p of softmax(logits / temperature) in float64:
// the most probable tokens until their mass reaches P, the one crossing P
// kept, renormalised, one torch::multinomial draw per row from the global
// generator (seed it for repeatable output). A row finishes at EOS (not
// part of its tokens); decoding stops when every row has finished, after
// maxNewTokens steps, or at the model's position limit. Finished rows keep
// being fed their argmax / draw, as the pre-cache loop did (a SiRA capacity
// group sees the same tokens it saw then).
//
// When the model cannot decode incrementally (CausalLMImpl::supportsKvCache:
// SiRA with a capacity limit) or useKvCache is off, every step re-runs the
// whole sequence instead, the pre-cache algorithm; both ways call the hook
// at the same points with the same tokens.
#pragma once

#include "engine/model/causal_lm.h"

#include <functional>
#include <optional>
#include <vector>

namespace lwb {

struct GenerationOptions
{
    std::int64_t maxNewTokens = 16;
    std::optional<std::int64_t> eosId; // none: rows never finish early
    double temperature = 0.0;          // 0: greedy
    double topP = 1.0;                 // sampling only
    bool useKvCache = true;            // false: re-run the whole sequence every step (reference, baseline)
};

// What the hook sees after a step's tokens were chosen and appended.
struct GenerationStep
{
    std::int64_t position = 0;     // the position the new tokens occupy
    std::int64_t forwardFrom = 0;  // first position the next forward runs: `position` with a cache, else 0
    const std::vector<std::int64_t> &tokens; // [rows] the new tokens (EOS or not; finished rows included)
    const std::vector<bool> &finished;       // [rows] finished at or before this step
};

// Called after every step that leaves some row running, before the next
// forward (even when the length cap means there will be none): the place to
// change what that forward sees, e.g. DLP-LoRA's fusion weights for the
// positions forwardFrom .. position.
using GenerationHook = std::function<void(const GenerationStep &)>;

struct GeneratedSequence
{
    std::vector<std::int64_t> tokens; // without the prompt and without EOS
    bool finished = false;            // ended with EOS
};

// prompts: [rows, T] int64 on the model's device. Runs under NoGradGuard; the
// caller puts the model in eval mode. Rows in prompt order.
std::vector<GeneratedSequence> generate(CausalLMImpl &model, const torch::Tensor &prompts,
                                        const GenerationOptions &options, const GenerationHook &afterStep = {});

} // namespace lwb
