// Generation: the one decoding loop of the workbench (the evaluator's exact
// match, DLP-LoRA's routed generation and `lorawb generate` all call it).
//
// Prompts of any lengths decode as one batch: they are left-padded (each row
// padded with copies of its own first token, so that a repetition penalty
// sees nothing the row does not hold), the prefill gets the token mask, and
// the KvCache then keeps the padding out of attention and numbers each row's
// positions from its first real token (transformers' cumsum(mask) - 1). So
// a row's tokens do not depend on the other rows of its batch (greedy,
// float32: tests/engine/test_generation compares batched with one-by-one
// decoding token for token) and nobody regroups prompts by length.
//
// Each step picks one token per row from its last logits, in transformers'
// order: repetition penalty (CTRL: a logit of a token the row holds is
// divided by the penalty when positive, multiplied when negative), then
// greedy argmax, or sampling: softmax(logits / temperature) in float64,
// top-k (k most probable, renormalised), top-p (the most probable tokens
// until their mass reaches P, the one crossing P kept, renormalised), one
// torch::multinomial draw per row from the global generator (seed it for
// repeatable output). A row finishes at any of the end ids (eosIds: a
// checkpoint's eos_token_id may be a list, Llama 3's; the id is not part of
// its tokens) or
// when its decoded text contains a stop string (the tokens up to and with
// the one that completed it are kept; the caller cuts the text). Decoding
// stops when every row has finished, after maxNewTokens steps, or at the
// model's position limit. Finished rows keep being fed their argmax / draw,
// as the pre-cache loop did (a SiRA capacity group sees what it saw then).
//
// Routed adapters whose output for a token depends on the other tokens of
// the pass (SiRA with a capacity limit; AdapterImpl::actsPerToken) decode as
// GenerationOptions::routedDecoding says (engine/model/README.md):
//   FullSequence  every step re-runs the whole sequence, so each step's
//                 logits are those of evaluating that sequence in one
//                 forward (the capacity counts all its tokens). Exact, O(T^2).
//   PerPass       the KV cache; each forward's tokens of a row form their own
//                 capacity group: the prompt in the prefill, then each new
//                 token alone (with one token every chosen expert has room).
// useKvCache = false re-runs the whole sequence for every model (the
// reference for tests and the benchmark's baseline).
#pragma once

#include "engine/model/causal_lm.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lwb {

enum class RoutedDecoding { FullSequence, PerPass };

struct ChosenTokens;
class TokenSampler;

struct GenerationOptions
{
    std::int64_t maxNewTokens = 16;
    std::vector<std::int64_t> eosIds; // a row finishes at any of them; empty: never at a token
    double temperature = 0.0;         // 0: greedy
    std::int64_t topK = 0;            // sampling only; 0: every token
    double topP = 1.0;                // sampling only
    double repetitionPenalty = 1.0;   // 1: none; > 1 discourages repeats
    std::vector<std::string> stopStrings;
    // Text of a row's generated tokens, for stop strings (required with them).
    std::function<std::string(const std::vector<std::int64_t> &)> detokenize;
    bool useKvCache = true; // false: re-run the whole sequence every step (reference, baseline)
    RoutedDecoding routedDecoding = RoutedDecoding::FullSequence;
    // Watches every step, the last one included (a playground streams the
    // tokens and reads their probabilities here); throw to stop.
    std::function<void(const ChosenTokens &)> onChosen;
};

// What GenerationOptions::onChosen sees: a step's tokens as chosen, right
// after the forward that scored them (adapters' state is that forward's).
struct ChosenTokens
{
    std::int64_t step = 0;                   // 0 for the first new token
    const torch::Tensor &logits;             // [rows, vocab] raw logits the tokens were chosen from
    const std::vector<std::int64_t> &tokens; // [rows] (EOS or not; finished rows included)
    const std::vector<bool> &finished;       // [rows] finished at or before this step
    // The rule that chose them, as it stood then: sampler.drawnProbabilities(logits, tokens).
    const TokenSampler &sampler;
};

// What the hook sees after a step's tokens were chosen and appended.
// Positions are columns of the (left-padded) batch: the prompt columns are
// 0 .. longest prompt - 1.
struct GenerationStep
{
    std::int64_t position = 0;               // the column the new tokens occupy
    std::int64_t forwardFrom = 0;            // first column the next forward runs: `position` with a cache, else 0
    const std::vector<std::int64_t> &tokens; // [rows] the new tokens (EOS or not; finished rows included)
    const std::vector<bool> &finished;       // [rows] finished at or before this step
};

// Called after every step that leaves some row running, before the next
// forward (even when the length cap means there will be none): the place to
// change what that forward sees (DLP-LoRA's fusion weights for the columns
// forwardFrom .. position), or to stop (throw).
using GenerationHook = std::function<void(const GenerationStep &)>;

struct GeneratedSequence
{
    std::vector<std::int64_t> tokens; // without the prompt and without EOS
    bool finished = false;            // ended with EOS or a stop string
    std::string stopString;           // the stop string that ended it, if one did
};

// prompts: [rows, T] int64 on the model's device, all real tokens. Runs
// under NoGradGuard; the caller puts the model in eval mode. Rows in prompt
// order.
std::vector<GeneratedSequence> generate(CausalLMImpl &model, const torch::Tensor &prompts,
                                        const GenerationOptions &options, const GenerationHook &afterStep = {});

// Prompts of any (non-zero) lengths, left-padded into one batch on `device`.
std::vector<GeneratedSequence> generate(CausalLMImpl &model, const std::vector<std::vector<std::int64_t>> &prompts,
                                        const torch::Device &device, const GenerationOptions &options,
                                        const GenerationHook &afterStep = {});

} // namespace lwb
