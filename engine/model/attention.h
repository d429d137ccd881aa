// Attention: causal multi-head self-attention of both families.
//
// GPT-2: one fused projection c_attn (D -> 3D, q|k|v) and c_proj, biases.
// Llama family: q_proj, k_proj, v_proj (optional biases), o_proj, rotary
// positions and grouped-query attention (each kv head serves
// num_heads / num_kv_heads query heads, as HF's repeat_kv), with the
// variants its members add (model_config.h): Phi-3's fused qkv_proj
// (q | k | v rows), Qwen3's q_norm / k_norm (RMSNorm over each head, before
// rotary), an explicit head_dim, o_proj biases, and the score variants of
// causal_attention.h (sliding window, soft-capping, Gemma 2's
// query_pre_attn_scalar).
// GPT-NeoX: query_key_value holds q, k, v per head (its rows are
// [heads, 3, head_dim], as HF's GPTNeoXAttention views them, not q | k | v),
// the output projection is "dense"; both carry biases when attention_bias.
// Sequences are right-padded, so the causal mask alone keeps real tokens from
// seeing padding; outputs at padded positions are never scored.
// With a KV cache (incremental decoding) x holds the positions after the
// cached ones: their keys and values are appended to the cache, and each
// query attends to every cached position and to the new ones up to itself.
#pragma once

#include "engine/adapters/adapted_linear.h"
#include "engine/model/causal_attention.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"
#include "engine/model/norm.h"
#include "engine/model/rotary.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace lwb {

class AttentionImpl : public torch::nn::Module
{
public:
    // layer: the block's index (which layers use a sliding window).
    AttentionImpl(const ModelConfig &config, std::int64_t layer);

    // x: [B, T, D]; rotary (ignored by GPT-2) covers x's positions; cache,
    // when given, holds the earlier positions and receives x's keys/values.
    torch::Tensor forward(const torch::Tensor &x, const RotaryTables &rotary, LayerKv *cache = nullptr);

private:
    ModelConfig config_;
    CausalAttentionOptions scores_;
    AdaptedLinear cAttn_{nullptr}, cProj_{nullptr};                                   // GPT-2
    AdaptedLinear qProj_{nullptr}, kProj_{nullptr}, vProj_{nullptr}, oProj_{nullptr}; // Llama
    AdaptedLinear qkvProj_{nullptr};                                                  // Phi-3 (with oProj_)
    AdaptedLinear queryKeyValue_{nullptr}, dense_{nullptr};                           // GPT-NeoX
    Norm qNorm_{nullptr}, kNorm_{nullptr};                                            // Qwen3
};

TORCH_MODULE(Attention);

} // namespace lwb
