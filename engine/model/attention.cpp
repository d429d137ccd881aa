// See attention.h.
#include "engine/model/attention.h"

#include <cmath>

namespace lwb {

AttentionImpl::AttentionImpl(const ModelConfig &config, std::int64_t layer)
    : config_(config)
{
    const auto d = config.hiddenSize;
    const auto qDim = config.numHeads * config.headDim();
    const auto kvDim = config.numKvHeads * config.headDim();
    if (config.architecture == Architecture::Gpt2) {
        cAttn_ = register_module("c_attn", AdaptedLinear(d, 3 * d, true));
        cProj_ = register_module("c_proj", AdaptedLinear(d, d, true));
        return;
    }
    if (config.gptNeox()) {
        queryKeyValue_ = register_module("query_key_value", AdaptedLinear(d, 3 * qDim, config.attentionBias));
        dense_ = register_module("dense", AdaptedLinear(qDim, d, config.attentionOutputBias));
        return; // no sliding window, cap or query scalar (hf_config.cpp refuses them)
    }
    if (config.fusedProjections) {
        qkvProj_ = register_module("qkv_proj", AdaptedLinear(d, qDim + 2 * kvDim, config.attentionBias));
    } else {
        qProj_ = register_module("q_proj", AdaptedLinear(d, qDim, config.attentionBias));
        kProj_ = register_module("k_proj", AdaptedLinear(d, kvDim, config.attentionBias));
        vProj_ = register_module("v_proj", AdaptedLinear(d, kvDim, config.attentionBias));
    }
    oProj_ = register_module("o_proj", AdaptedLinear(qDim, d, config.attentionOutputBias));
    if (config.qkNorm) {
        qNorm_ = register_module("q_norm", Norm(NormKind::RmsNorm, config.headDim(), config.normEps));
        kNorm_ = register_module("k_norm", Norm(NormKind::RmsNorm, config.headDim(), config.normEps));
    }
    if (config.queryPreAttnScalar > 0.0)
        scores_.scale = 1.0 / std::sqrt(config.queryPreAttnScalar);
    scores_.window = config.slidingWindowOf(layer);
    scores_.softcap = config.attentionSoftcap;
}

torch::Tensor AttentionImpl::forward(const torch::Tensor &x, const RotaryTables &rotary, LayerKv *cache)
{
    const auto batch = x.size(0);
    const auto length = x.size(1);
    const auto heads = config_.numHeads;
    const auto kvHeads = config_.numKvHeads;
    const auto headDim = config_.headDim();

    torch::Tensor q, k, v;
    if (cAttn_) {
        const auto qkv = cAttn_->forward(x).split(config_.hiddenSize, -1);
        q = qkv[0], k = qkv[1], v = qkv[2];
    } else if (queryKeyValue_) {
        // [B, T, H, 3 Dh]: each head's q, k and v side by side.
        const auto qkv = queryKeyValue_->forward(x).view({batch, length, heads, 3 * headDim}).chunk(3, -1);
        q = qkv[0], k = qkv[1], v = qkv[2];
    } else if (qkvProj_) {
        const auto qkv
            = qkvProj_->forward(x).split_with_sizes({heads * headDim, kvHeads * headDim, kvHeads * headDim}, -1);
        q = qkv[0], k = qkv[1], v = qkv[2];
    } else {
        q = qProj_->forward(x), k = kProj_->forward(x), v = vProj_->forward(x);
    }
    // [B, T, H*Dh] -> [B, T, H, Dh]; Qwen3 normalises each head here.
    q = q.view({batch, length, heads, headDim});
    k = k.view({batch, length, kvHeads, headDim});
    if (qNorm_) {
        q = qNorm_->forward(q);
        k = kNorm_->forward(k);
    }
    // -> [B, H, T, Dh]
    q = q.transpose(1, 2);
    k = k.transpose(1, 2);
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
    const auto context = causalAttention(q, k, v, past, scores_, cache ? cache->realKeys : torch::Tensor())
                             .transpose(1, 2)
                             .reshape({batch, length, heads * headDim});
    if (cProj_)
        return cProj_->forward(context);
    return dense_ ? dense_->forward(context) : oProj_->forward(context);
}

} // namespace lwb
