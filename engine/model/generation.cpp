// See generation.h.
#include "engine/model/generation.h"

#include "engine/core/error.h"
#include "engine/model/token_sampling.h"

#include <algorithm>

namespace lwb {

namespace {

// One decoding run over a batch whose padding (if any) `mask` marks.
class Decoder
{
public:
    Decoder(CausalLMImpl &model, const torch::Tensor &ids, const torch::Tensor &mask, const GenerationOptions &options)
        : model_(model)
        , options_(options)
        , mask_(mask)
        , cached_(options.useKvCache && (model.supportsKvCache() || options.routedDecoding == RoutedDecoding::PerPass))
        , cache_(model.config().numLayers)
        , sampler_(SamplingRule{options.temperature, options.topK, options.topP, options.repetitionPenalty}, ids,
                   model.config().vocabSize)
        , sequence_(ids)
        , input_(ids)
    {
        if (!options.stopStrings.empty() && !options.detokenize)
            throw Error("generation", "stop strings need a detokenize function (the tokenizer's decode)");
    }

    std::vector<GeneratedSequence> run(const GenerationHook &afterStep)
    {
        torch::NoGradGuard noGrad;
        const auto rows = static_cast<std::size_t>(sequence_.size(0));
        std::vector<GeneratedSequence> sequences(rows);
        std::vector<bool> finished(rows, false);
        auto length = sequence_.size(1);
        for (std::int64_t step = 0; step < options_.maxNewTokens && length < model_.config().maxPositions; ++step) {
            const auto last = nextTokenLogits(step == 0);
            const auto tokens = sampler_.choose(last);
            bool allFinished = true;
            for (std::size_t r = 0; r < rows; ++r) {
                if (!finished[r])
                    finished[r] = take(sequences[r], tokens[r]);
                allFinished = allFinished && finished[r];
            }
            if (options_.onChosen)
                options_.onChosen(ChosenTokens{step, last, tokens, finished, sampler_});
            if (allFinished)
                break;
            const auto next = torch::tensor(tokens, torch::kInt64).to(sequence_.device()).unsqueeze(1);
            sampler_.append(next);
            sequence_ = torch::cat({sequence_, next}, 1);
            input_ = cached_ ? next : sequence_;
            const auto position = length++;
            if (afterStep)
                afterStep(GenerationStep{position, cached_ ? position : 0, tokens, finished});
        }
        for (std::size_t r = 0; r < rows; ++r)
            sequences[r].finished = finished[r];
        return sequences;
    }

private:
    // [R, vocab]: the logits the next token is chosen from.
    torch::Tensor nextTokenLogits(bool first)
    {
        if (cached_)
            return model_.nextTokenLogits(input_, &cache_, first ? mask_ : torch::Tensor());
        if (!mask_.defined())
            return model_.nextTokenLogits(input_, nullptr);
        // Whole padded sequences: a fresh cache makes the pass mask the padding.
        KvCache fresh(model_.config().numLayers);
        const auto generated = torch::ones({mask_.size(0), input_.size(1) - mask_.size(1)}, mask_.options());
        return model_.nextTokenLogits(input_, &fresh, torch::cat({mask_, generated}, 1));
    }

    // Appends a row's new token; true when the row is finished by it.
    bool take(GeneratedSequence &sequence, std::int64_t token) const
    {
        if (std::find(options_.eosIds.begin(), options_.eosIds.end(), token) != options_.eosIds.end())
            return true;
        sequence.tokens.push_back(token);
        if (options_.stopStrings.empty())
            return false;
        const auto text = options_.detokenize(sequence.tokens);
        for (const auto &stop : options_.stopStrings) {
            if (!stop.empty() && text.find(stop) != std::string::npos) {
                sequence.stopString = stop;
                return true;
            }
        }
        return false;
    }

    CausalLMImpl &model_;
    const GenerationOptions &options_;
    torch::Tensor mask_; // [R, prompt columns] bool; undefined = no padding
    bool cached_;
    KvCache cache_;
    TokenSampler sampler_;
    torch::Tensor sequence_; // [R, columns] prompts and generated tokens so far
    torch::Tensor input_;    // what the next forward runs
};

} // namespace

std::vector<GeneratedSequence> generate(CausalLMImpl &model, const torch::Tensor &prompts,
                                        const GenerationOptions &options, const GenerationHook &afterStep)
{
    return Decoder(model, prompts, {}, options).run(afterStep);
}

std::vector<GeneratedSequence> generate(CausalLMImpl &model, const std::vector<std::vector<std::int64_t>> &prompts,
                                        const torch::Device &device, const GenerationOptions &options,
                                        const GenerationHook &afterStep)
{
    if (prompts.empty())
        return {};
    std::size_t longest = 0;
    for (std::size_t r = 0; r < prompts.size(); ++r) {
        if (prompts[r].empty())
            throw Error("generation", "prompt " + std::to_string(r) + " has no tokens");
        longest = std::max(longest, prompts[r].size());
    }
    const auto rows = static_cast<std::int64_t>(prompts.size());
    const auto columns = static_cast<std::int64_t>(longest);
    auto ids = torch::empty({rows, columns}, torch::kInt64);
    auto mask = torch::ones({rows, columns}, torch::kBool);
    bool padded = false;
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto &prompt = prompts[static_cast<std::size_t>(r)];
        const auto pad = columns - static_cast<std::int64_t>(prompt.size());
        ids[r].narrow(0, 0, pad).fill_(prompt.front()); // the row's own token: nothing new to penalise
        ids[r].narrow(0, pad, columns - pad).copy_(torch::tensor(prompt, torch::kInt64));
        mask[r].narrow(0, 0, pad).fill_(false);
        padded = padded || pad > 0;
    }
    return Decoder(model, ids.to(device), padded ? mask.to(device) : torch::Tensor(), options).run(afterStep);
}

} // namespace lwb
