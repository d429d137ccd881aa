// See causal_lm.h.
#include "engine/model/causal_lm.h"

#include "engine/model/block_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <torch/nn/init.h>

namespace lwb {

namespace {

// Hidden states [..., D] onto the vocabulary: [..., vocab].
torch::Tensor vocabularyLogits(const CausalLMImpl &model, const torch::Tensor &hidden)
{
    return model.softcapLogits(torch::matmul(hidden, model.outputWeight().t()));
}

} // namespace

CausalLMImpl::CausalLMImpl(const ModelConfig &config)
    : config_(config)
{
    const bool gpt2 = config.architecture == Architecture::Gpt2;
    const bool neox = config.gptNeox();
    const auto d = config.hiddenSize;
    body_ = register_module(gpt2 ? "transformer" : neox ? "gpt_neox" : "model", std::make_shared<torch::nn::Module>());
    tokenEmbedding_ = body_->register_module(gpt2   ? "wte"
                                             : neox ? "embed_in"
                                                    : "embed_tokens",
                                             torch::nn::Embedding(config.vocabSize, d));
    if (gpt2)
        positionEmbedding_ = body_->register_module("wpe", torch::nn::Embedding(config.maxPositions, d));
    blocks_ = body_->register_module(gpt2 ? "h" : "layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numLayers; ++i)
        blocks_->push_back(TransformerBlock(config, i));
    finalNorm_ = body_->register_module(gpt2   ? "ln_f"
                                        : neox ? "final_layer_norm"
                                               : "norm",
                                        Norm(normKindOf(config), d, config.normEps));
    if (!gpt2)
        inverseFrequencies_ = rotaryInverseFrequencies(config);
    if (!config.tieWordEmbeddings)
        lmHead_ = register_module(neox ? "embed_out" : "lm_head", // the file's name (transformers 5 renames it on load)
                                  torch::nn::Linear(torch::nn::LinearOptions(d, config.vocabSize).bias(false)));
    initialiseWeights();
    for (const auto &module : modules(/*include_self=*/false)) {
        if (auto linear = std::dynamic_pointer_cast<AdaptedLinearImpl>(module))
            linears_.emplace_back(linear);
    }
}

void CausalLMImpl::initialiseWeights()
{
    // A private generator: building a model never disturbs the caller's RNG.
    auto generator = at::detail::createCPUGenerator(config_.initSeed);
    torch::NoGradGuard noGrad;
    for (auto &item : named_parameters()) {
        const auto &name = item.key();
        auto &parameter = item.value();
        const bool isNorm = name.find("ln_") != std::string::npos || name.find("norm") != std::string::npos;
        if (isNorm)
            continue; // ones / zeros from the constructor
        if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0)
            parameter.zero_();
        else
            parameter.normal_(0.0, config_.initializerRange, generator);
    }
}

torch::Tensor CausalLMImpl::forward(const torch::Tensor &inputIds, const torch::Tensor &tokenMask,
                                    const torch::Tensor &sequenceTasks)
{
    return run(inputIds, ForwardContext{tokenMask, sequenceTasks}, nullptr);
}

torch::Tensor CausalLMImpl::hiddenStates(const torch::Tensor &inputIds, const torch::Tensor &tokenMask)
{
    return runHidden(inputIds, ForwardContext{tokenMask, {}}, nullptr);
}

torch::Tensor CausalLMImpl::outputWeight() const
{
    return lmHead_ ? lmHead_->weight : tokenEmbedding_->weight;
}

torch::Tensor CausalLMImpl::forwardWithCache(const torch::Tensor &inputIds, KvCache &cache,
                                             const torch::Tensor &tokenMask)
{
    return run(inputIds, ForwardContext{tokenMask, {}}, &cache);
}

torch::Tensor CausalLMImpl::nextTokenLogits(const torch::Tensor &inputIds, KvCache *cache,
                                            const torch::Tensor &tokenMask)
{
    const auto hidden = runHidden(inputIds, ForwardContext{tokenMask, {}}, cache);
    return vocabularyLogits(*this, hidden.select(1, hidden.size(1) - 1));
}

torch::Tensor CausalLMImpl::paddedPositions(const torch::Tensor &inputIds, KvCache &cache,
                                            const torch::Tensor &tokenMask)
{
    const bool padded = cache.realKeys.defined() || (tokenMask.defined() && !tokenMask.all().item<bool>());
    if (!padded)
        return {};
    const auto mask = tokenMask.defined() ? tokenMask.to(inputIds.device(), torch::kBool)
                                          : torch::ones_like(inputIds, inputIds.options().dtype(torch::kBool));
    const auto start = cache.nextPositions.defined()
                           ? cache.nextPositions
                           : torch::full({inputIds.size(0)}, cache.length(), inputIds.options());
    // Each real token one position past the real ones before it; padding
    // repeats its neighbour's (never attended to, never read).
    const auto counted = mask.to(torch::kInt64).cumsum(1);
    auto positions = (start.unsqueeze(1) + counted - 1).clamp_min(0); // not const: returned by move
    cache.nextPositions = start + counted.select(1, counted.size(1) - 1);
    if (!cache.realKeys.defined())
        cache.realKeys = torch::ones({inputIds.size(0), cache.length()}, mask.options());
    cache.realKeys = torch::cat({cache.realKeys, mask}, 1);
    return positions;
}

bool CausalLMImpl::supportsKvCache() const
{
    for (const auto &linear : linears_) {
        if (linear->adapter() && !linear->merged() && !linear->adapter()->actsPerToken())
            return false;
    }
    return true;
}

torch::Tensor CausalLMImpl::run(const torch::Tensor &inputIds, const ForwardContext &context, KvCache *cache)
{
    return vocabularyLogits(*this, runHidden(inputIds, context, cache));
}

torch::Tensor CausalLMImpl::softcapLogits(const torch::Tensor &logits) const
{
    const double cap = config_.finalLogitSoftcap;
    return cap > 0.0 ? torch::tanh(logits / cap) * cap : logits;
}

torch::Tensor CausalLMImpl::runHidden(const torch::Tensor &inputIds, const ForwardContext &context, KvCache *cache)
{
    for (const auto &linear : linears_) {
        if (linear->adapter())
            linear->adapter()->beginForward(context);
    }
    const auto length = inputIds.size(1);
    const auto start = cache ? cache->length() : 0; // position of inputIds' first token
    TORCH_CHECK(start + length <= config_.maxPositions, "sequence of ", start + length,
                " tokens exceeds max_position_embeddings ", config_.maxPositions);
    const auto positions = cache ? paddedPositions(inputIds, *cache, context.tokenMask) : torch::Tensor();
    if (cache) {
        for (std::int64_t layer = 0; layer < cache->layers(); ++layer)
            cache->layer(layer).realKeys = cache->realKeys;
    }
    auto x = tokenEmbedding_->forward(inputIds);
    // Gemma scales by sqrt(hidden) rounded to the model's dtype, as HF does.
    if (config_.scaleEmbeddings)
        x = x * torch::scalar_tensor(std::sqrt(static_cast<double>(config_.hiddenSize)), x.options());
    RotaryTables rotary;
    if (positionEmbedding_)
        x = x
            + positionEmbedding_->forward(
                positions.defined() ? positions : torch::arange(start, start + length, inputIds.options()));
    else if (positions.defined())
        rotary = rotaryTablesAt(inverseFrequencies_, positions, x.options());
    else
        rotary = rotaryTables(inverseFrequencies_, length, x.options(), start);
    const bool recompute = gradientCheckpointing_ && !cache && is_training() && torch::GradMode::is_enabled();
    std::int64_t layer = 0;
    for (const auto &item : *blocks_) {
        auto block = std::dynamic_pointer_cast<TransformerBlockImpl>(item);
        if (!recompute) {
            x = block->forward(x, rotary, cache ? &cache->layer(layer++) : nullptr);
            continue;
        }
        std::vector<torch::Tensor> trainable;
        for (const auto &parameter : block->parameters())
            if (parameter.requires_grad())
                trainable.push_back(parameter);
        // Captured by value: backward runs the block again after this returns.
        x = checkpointedForward([block, rotary](const torch::Tensor &in) { return block->forward(in, rotary); }, x,
                                trainable);
    }
    return finalNorm_->forward(x);
}

} // namespace lwb
