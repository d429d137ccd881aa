// Greedy generation with DLP-LoRA's fused task LoRAs, routed per input or
// per sentence (arXiv 2410.01497, §3.2).
//
// Per input (the reference code): the router reads the prompt (BOS + prompt
// tokens) once; every position of the prompt and of the answer uses that
// set of LoRAs and weights.
//
// Per sentence (the paper): the prompt is routed as above; then, whenever the
// generated text ends a sentence, the router re-reads the whole context
// (prompt and answer so far) and its new set applies from that position on.
// A sentence ends with '.', '!' or '?' followed by a space or a newline;
// the new set applies from the space / newline itself, because that position
// is the one whose output predicts the new sentence's first token. Earlier
// positions keep the set they were computed with (the history is [B, T, N]
// weights): decoding with a KV cache runs each new position with its set
// and keeps the earlier positions' keys and values as they were computed,
// and re-running whole sequences (useKvCache off) gives every position its
// own set from the history, so both give the same tokens.
//
// Prompts are grouped by length, each group one unpadded batch, decoded by
// generate() (engine/model/generation.h), as the evaluator does. Decoding
// is greedy unless the options carry a sampling rule, and stops at EOS (or
// the options' end ids), a stop string, after maxNewTokens, or at the
// model's position limit. onChosen / onRouted let a caller watch it live
// (the playground streams the tokens and shows each routing decision).
#pragma once

#include "engine/adapters/dlp_fused_adapter.h"
#include "engine/data/sequence_format.h"
#include "engine/dlp/dlp_router.h"
#include "engine/model/causal_lm.h"
#include "engine/model/generation.h"
#include "engine/model/token_sampling.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

enum class DlpGranularity { Input, Sentence };

// "input" or "sentence"; throws lwb::Error otherwise.
DlpGranularity granularityFromString(const std::string &name);

// True when text ends a sentence: [.!?] followed by ' ' or '\n'.
bool endsSentence(const std::string &text);

using FusedAdapters = std::vector<std::shared_ptr<DlpFusedAdapterImpl>>;

struct RoutedSegment
{
    std::int64_t start = 0;             // first position (0 = BOS) this set applies to
    std::vector<std::int64_t> selected; // task indices, most probable first
    std::vector<double> weights;
};

struct RoutedGeneration
{
    std::vector<std::int64_t> answer; // generated tokens, without EOS
    std::string text;                 // answer decoded (cut before a stop string)
    bool finished = false;            // ended with EOS or a stop string
    std::string stopString;           // the stop string that ended it, if one did
    std::vector<RoutedSegment> segments;
};

struct RoutedGenerationOptions
{
    DlpGranularity granularity = DlpGranularity::Input;
    std::int64_t maxNewTokens = 16;
    bool useKvCache = true;           // false: re-run whole sequences (the reference the tests compare with)
    SamplingRule sampling;            // default: greedy
    std::vector<std::int64_t> eosIds; // empty: the format's EOS
    std::vector<std::string> stopStrings;
    // Each step's chosen tokens of a group (throw to stop); rows[r] is the
    // prompt index of the group's row r.
    std::function<void(const ChosenTokens &, const std::vector<std::size_t> &rows)> onChosen;
    // Each routing decision as it is made, before the forward it applies to.
    std::function<void(std::size_t prompt, const RoutedSegment &)> onRouted;
};

// Results in prompt order.
std::vector<RoutedGeneration> generateRouted(CausalLMImpl &model, const FusedAdapters &adapters, DlpRouter &router,
                                             const SequenceFormat &format, const std::vector<std::string> &prompts,
                                             const RoutedGenerationOptions &options, const torch::Device &device);

// No router: prompt i uses weights[i] ([P, N]) throughout (the oracle, or a
// set the user picked).
std::vector<RoutedGeneration> generateWithWeights(CausalLMImpl &model, const FusedAdapters &adapters,
                                                  const torch::Tensor &weights, const SequenceFormat &format,
                                                  const std::vector<std::string> &prompts, std::int64_t maxNewTokens,
                                                  const torch::Device &device);

} // namespace lwb
