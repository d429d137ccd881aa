// CausalLM: the one configurable decoder-only transformer (GPT-2 or Llama
// family, with Mistral, Qwen2/3, Gemma/Gemma 2, Phi-3 and GPT-NeoX as Llama
// variants), laid out with Hugging Face's module names so checkpoints load
// by name:
//   GPT-2: transformer.wte, transformer.wpe, transformer.h.N.*, transformer.ln_f
//   Llama: model.embed_tokens, model.layers.N.*, model.norm
//   GPT-NeoX: gpt_neox.embed_in, gpt_neox.layers.N.*, gpt_neox.final_layer_norm
// and lm_head.weight (GPT-NeoX: embed_out.weight) unless the embeddings are
// tied (then the output projection is the input embedding matrix).
#pragma once

#include "engine/adapters/adapted_linear.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"
#include "engine/model/norm.h"
#include "engine/model/transformer_block.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace lwb {

class CausalLMImpl : public torch::nn::Module
{
public:
    // Weights are drawn from N(0, initializer_range) (biases 0, norms 1) under
    // config.initSeed, so every run of a preset starts from the same base.
    explicit CausalLMImpl(const ModelConfig &config);

    // inputIds: [B, T] int64 -> logits [B, T, vocab]. tokenMask [B, T] bool
    // marks the real tokens (padding is on the right, so attention needs no
    // mask); the adapters receive it through beginForward().
    // sequenceTasks [B] int64 labels each sequence with a task index for the
    // adapters' routing analysis (evaluation only).
    torch::Tensor forward(const torch::Tensor &inputIds, const torch::Tensor &tokenMask = {},
                          const torch::Tensor &sequenceTasks = {});
    // The same pass up to the final norm: hidden states [B, T, D], whose
    // logits are softcapLogits(hidden outputWeight()^T). The trainer's loss
    // takes these two and never forms the logits
    // (engine/train/fused_linear_cross_entropy.h) unless the model caps them.
    torch::Tensor hiddenStates(const torch::Tensor &inputIds, const torch::Tensor &tokenMask = {});
    // lm_head.weight, or the input embedding matrix when tied: [vocab, D].
    torch::Tensor outputWeight() const;
    // Gemma 2's final soft-capping, cap tanh(logits / cap); the identity for
    // every other model (config().finalLogitSoftcap 0).
    torch::Tensor softcapLogits(const torch::Tensor &logits) const;

    // Incremental decoding (generation.h): inputIds [B, T] continue the
    // sequences whose earlier positions `cache` holds (an empty cache: the
    // prompts themselves), so their positions start at cache.length(); their
    // keys and values are appended. -> logits [B, T, vocab] of these
    // positions. tokenMask [B, T] bool, given with the prefill of left-padded
    // prompts (false on the padding), makes the cache keep padding out of
    // attention and count positions per row from each row's first real
    // token; adapters receive it. Later passes are all real tokens.
    torch::Tensor forwardWithCache(const torch::Tensor &inputIds, KvCache &cache, const torch::Tensor &tokenMask = {});
    // The logits of the last position only, [B, vocab]: what a decoding step
    // samples from. The same pass as forwardWithCache (cache given) or
    // forward (none), but the output projection runs on one position, not T:
    // at a 64-token prompt and Qwen2's 151,936-word vocabulary that product is
    // most of the prefill's arithmetic (transformers' generate keeps one
    // position the same way, logits_to_keep = 1).
    torch::Tensor nextTokenLogits(const torch::Tensor &inputIds, KvCache *cache, const torch::Tensor &tokenMask = {});

    // Whether forwardWithCache gives, position by position, the logits of a
    // whole-sequence forward: true unless an adapter's output for a token
    // depends on the other tokens of the pass (AdapterImpl::actsPerToken).
    bool supportsKvCache() const;

    const ModelConfig &config() const { return config_; }

    // Activation checkpointing per decoder block in training forwards that
    // record gradients (block_checkpoint.h): each block keeps only its input
    // and runs again in backward. Off by default.
    void setGradientCheckpointing(bool on) { gradientCheckpointing_ = on; }
    bool gradientCheckpointing() const { return gradientCheckpointing_; }

private:
    void initialiseWeights();
    torch::Tensor run(const torch::Tensor &inputIds, const ForwardContext &context, KvCache *cache);
    torch::Tensor runHidden(const torch::Tensor &inputIds, const ForwardContext &context, KvCache *cache);
    // Per-row positions of a pass over a padded cache (and the cache's
    // padding state advanced); undefined when the batch has no padding.
    torch::Tensor paddedPositions(const torch::Tensor &inputIds, KvCache &cache, const torch::Tensor &tokenMask);

    ModelConfig config_;
    std::shared_ptr<torch::nn::Module> body_; // "transformer" or "model"
    torch::nn::Embedding tokenEmbedding_{nullptr};
    torch::nn::Embedding positionEmbedding_{nullptr}; // GPT-2 only
    torch::nn::ModuleList blocks_{nullptr};
    Norm finalNorm_{nullptr};
    torch::nn::Linear lmHead_{nullptr};  // untied only
    torch::Tensor inverseFrequencies_;   // rotary (Llama family), float64, rotary.h
    std::vector<AdaptedLinear> linears_; // every linear layer that can carry an adapter
    bool gradientCheckpointing_ = false;
};

TORCH_MODULE(CausalLM);

} // namespace lwb
