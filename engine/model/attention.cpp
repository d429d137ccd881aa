// See attention.h.
#include "engine/model/attention.h"

#include <optional>

namespace lwb {

AttentionImpl::AttentionImpl(const ModelConfig &config)
    : config_(config)
{
    const auto d = config.hiddenSize;
    const auto kvDim = config.numKvHeads * config.headDim();
    if (config.architecture == Architecture::Gpt2) {
        cAttn_ = register_module("c_attn", AdaptedLinear(d, 3 * d, true));
        cProj_ = register_module("c_proj", AdaptedLinear(d, d, true));
    } else {
        qProj_ = register_module("q_proj", AdaptedLinear(d, d, config.attentionBias));
        kProj_ = register_module("k_proj", AdaptedLinear(d, kvDim, config.attentionBias));
        vProj_ = register_module("v_proj", AdaptedLinear(d, kvDim, config.attentionBias));
        oProj_ = register_module("o_proj", AdaptedLinear(d, d, false));
    }
}

torch::Tensor AttentionImpl::forward(const torch::Tensor &x, const RotaryTables &rotary, LayerKv *cache)
{
    const auto batch = x.size(0);
    const auto length = x.size(1);
    const auto heads = config_.numHeads;
    const auto kvHeads = config_.numKvHeads;
    const auto headDim = config_.headDim();

    torch::Tensor q, k, v;
    if (config_.architecture == Architecture::Gpt2) {
        const auto qkv = cAttn_->forward(x).split(config_.hiddenSize, -1);
        q = qkv[0], k = qkv[1], v = qkv[2];
    } else {
        q = qProj_->forward(x), k = kProj_->forward(x), v = vProj_->forward(x);
    }
    // [B, T, H*Dh] -> [B, H, T, Dh]
    q = q.view({batch, length, heads, headDim}).transpose(1, 2);
    k = k.view({batch, length, kvHeads, headDim}).transpose(1, 2);
    v = v.view({batch, length, kvHeads, headDim}).transpose(1, 2);
    if (config_.architecture == Architecture::Llama) {
        q = applyRotary(q, rotary);
        k = applyRotary(k, rotary);
    }
    // Cached positions come first; the cache keeps the kv heads unrepeated.
    std::int64_t past = 0;
    if (cache) {
        if (cache->keys.defined()) {
            past = cache->keys.size(2);
            k = torch::cat({cache->keys, k}, 2);
            v = torch::cat({cache->values, v}, 2);
        }
        cache->keys = k;
        cache->values = v;
    }
    // torch's fused attention (one kernel forward and backward on the CPU and
    // on CUDA, no [T, T] score tensor kept for the backward), with the kv heads
    // shared in place (enable_gqa) rather than repeated. Without a cache the
    // mask is plain causal; one new position sees everything cached; several
    // new positions after a cache see keys 0 .. past + i (is_causal would
    // align the triangle to the top-left corner, so the mask is explicit).
    std::optional<torch::Tensor> mask;
    if (past > 0 && length > 1)
        mask = torch::ones({length, past + length}, x.options().dtype(torch::kBool)).tril(past);
    const auto context = at::scaled_dot_product_attention(q, k, v, mask, /*dropout_p=*/0.0,
                                                          /*is_causal=*/past == 0 && length > 1,
                                                          /*scale=*/std::nullopt, /*enable_gqa=*/kvHeads != heads)
                             .transpose(1, 2)
                             .reshape({batch, length, heads * headDim});
    return config_.architecture == Architecture::Gpt2 ? cProj_->forward(context) : oProj_->forward(context);
}

} // namespace lwb
