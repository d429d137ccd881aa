// See generation.h.
#include "engine/model/generation.h"

namespace lwb {

namespace {

// One row's draw: the most probable tokens until their mass reaches P (the
// one crossing it kept), renormalised, one multinomial draw. logits: [V] float64.
std::int64_t sampleTopP(const torch::Tensor &logits, double temperature, double topP)
{
    const auto probs = torch::softmax(logits / temperature, -1);
    const auto sorted = probs.sort(-1, /*descending=*/true);
    const auto values = std::get<0>(sorted);
    const auto order = std::get<1>(sorted);
    const auto before = values.cumsum(-1) - values; // mass of the tokens ahead of each
    const auto kept = values.masked_fill(before >= topP, 0.0);
    return order[torch::multinomial(kept / kept.sum(), 1).item<std::int64_t>()].item<std::int64_t>();
}

// The next token of every row from the last position's logits [rows, V].
std::vector<std::int64_t> chooseTokens(const torch::Tensor &logits, const GenerationOptions &options)
{
    if (options.temperature == 0.0) {
        const auto best = logits.argmax(-1).to(torch::kCPU).contiguous();
        return {best.data_ptr<std::int64_t>(), best.data_ptr<std::int64_t>() + best.numel()};
    }
    const auto wide = logits.to(torch::kDouble);
    std::vector<std::int64_t> tokens;
    for (std::int64_t r = 0; r < wide.size(0); ++r)
        tokens.push_back(sampleTopP(wide[r], options.temperature, options.topP));
    return tokens;
}

} // namespace

std::vector<GeneratedSequence> generate(CausalLMImpl &model, const torch::Tensor &prompts,
                                        const GenerationOptions &options, const GenerationHook &afterStep)
{
    torch::NoGradGuard noGrad;
    const auto rows = static_cast<std::size_t>(prompts.size(0));
    const bool cached = options.useKvCache && model.supportsKvCache();
    KvCache cache(model.config().numLayers);
    std::vector<GeneratedSequence> sequences(rows);
    std::vector<bool> finished(rows, false);
    auto input = prompts; // what the next forward runs: the new token (cached) or the whole sequence
    auto length = prompts.size(1);
    for (std::int64_t step = 0; step < options.maxNewTokens && length < model.config().maxPositions; ++step) {
        const auto logits = cached ? model.forwardWithCache(input, cache) : model.forward(input);
        const auto tokens = chooseTokens(logits.select(1, logits.size(1) - 1), options);
        bool allFinished = true;
        for (std::size_t r = 0; r < rows; ++r) {
            if (!finished[r]) {
                if (options.eosId && tokens[r] == *options.eosId)
                    finished[r] = true;
                else
                    sequences[r].tokens.push_back(tokens[r]);
            }
            allFinished = allFinished && finished[r];
        }
        if (allFinished)
            break;
        const auto next = torch::tensor(tokens, torch::kInt64).to(prompts.device()).unsqueeze(1);
        input = cached ? next : torch::cat({input, next}, 1);
        const auto position = length++;
        if (afterStep)
            afterStep(GenerationStep{position, cached ? position : 0, tokens, finished});
    }
    for (std::size_t r = 0; r < rows; ++r)
        sequences[r].finished = finished[r];
    return sequences;
}

} // namespace lwb
