// Hugging Face config.json <-> ModelConfig, for every model_type the decoder
// computes (kSupportedModelTypes). Each reader takes exactly what
// transformers 5.25's modeling file of that type computes with, and refuses
// by name (file: key: reason) any value that would make it compute something
// else: a rope_type other than default / linear / llama3 (and Phi-3's
// longrope), partial rotary outside Phi-3 and GPT-NeoX, MLP biases, another activation,
// GPT-2 attention without 1/sqrt(head_dim) or scaled by the layer index, an
// unknown layer type. An unknown model_type is an error listing the supported
// ones.
//
//   gpt2     GPT2LMHeadModel
//   llama    LlamaForCausalLM; rope_scaling llama3 / linear; attention_bias
//            puts biases on q, k, v and o
//   mistral  Llama + sliding_window on every layer
//   qwen2    Llama + q/k/v biases; layer_types (use_sliding_window)
//   qwen3    Llama + q_norm/k_norm, explicit head_dim; layer_types
//   gemma    GeGLU (gelu_pytorch_tanh), (1 + w) RMSNorm, embeddings x
//            sqrt(hidden), explicit head_dim, tied output
//   gemma2   gemma + sandwich norms, attention and final logit soft-capping,
//            query_pre_attn_scalar, layer_types (alternating sliding window)
//   phi3     Llama with fused qkv_proj / gate_up_proj, partial rotary,
//            sliding_window on every layer
//   gpt_neox GPTNeoXForCausalLM (Pythia): LayerNorm with biases, fused
//            query_key_value per head, partial rotary (rotary_pct, default
//            0.25), use_parallel_residual, dense_h_to_4h / dense_4h_to_h
//            with gelu, attention_bias, untied embed_out
// The rotary base and scaling are read where transformers 5 writes them
// (rope_parameters) and where older versions did (rope_theta, rope_scaling).
#pragma once

#include "engine/model/model_config.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lwb {

// The model_type values modelConfigFromHf reads, in this order.
const std::vector<std::string> &supportedModelTypes();

// config.json -> ModelConfig (preset ""); `where` names the file in errors.
ModelConfig modelConfigFromHf(const nlohmann::json &config, const std::string &where);

// ModelConfig -> config.json as transformers writes it for the model type
// (ModelConfig::hfModelType); torchDtype is "float32", "float16" or "bfloat16".
nlohmann::json hfConfigJson(const ModelConfig &config, const std::string &torchDtype);

} // namespace lwb
