// Hugging Face checkpoint folders <-> CausalLM: config.json and the base
// weights under transformers' names and layouts.
//
//   GPT-2  GPT2LMHeadModel: "transformer.*" keys (read with or without the
//          prefix); c_attn, c_proj and c_fc are Conv1D modules whose weight is
//          stored [in, out], the transpose of our AdaptedLinear's [out, in].
//   Llama  LlamaForCausalLM: q/k/v/o without biases.
//   Qwen2  Qwen2ForCausalLM: the Llama layout with q/k/v biases; a Llama-style
//          ModelConfig with attention_bias true is written as Qwen2, because
//          transformers' Llama would also put a bias on o_proj.
// lm_head.weight is present only when the embeddings are untied. The causal
// mask buffers of old GPT-2 checkpoints ("attn.bias", "attn.masked_bias") and
// Llama's "rotary_emb.inv_freq" are ignored as transformers ignores them.
// Any other key, missing weight or shape mismatch is an lwb::Error naming it,
// and so is a config value this decoder cannot honour (a rope_type other
// than "default", partial rotary, MLP biases, GPT-2 attention without
// 1/sqrt(head_dim) or scaled by the layer index, Qwen2's sliding window).
// The rotary base is read where transformers 5 writes it
// (rope_parameters.rope_theta) and where older versions did (rope_theta).
#pragma once

#include "engine/model/causal_lm.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "engine/tensor_io/sharded_checkpoint.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace lwb {

// config.json -> ModelConfig (preset ""); `where` names the file in errors.
ModelConfig modelConfigFromHf(const nlohmann::json &config, const std::string &where);

// ModelConfig -> config.json as transformers writes it for the family;
// torchDtype is "float32", "float16" or "bfloat16".
nlohmann::json hfConfigJson(const ModelConfig &config, const std::string &torchDtype);

// The base weights under their Hugging Face names and layouts (adapters are
// left out). `replaced` maps parameter names to tensors written instead (in
// our layout, e.g. a weight with its adapter merged), so a caller can export
// merged weights without touching the model. Tensors are detached views or
// copies in the model's dtype.
NamedTensors hfStateDict(CausalLMImpl &model, const std::map<std::string, torch::Tensor> &replaced = {});

// Copies the checkpoint's weights into the model (any dtype stored, loaded
// as float32); every weight of the model must be found, every key used.
void loadHfWeights(CausalLMImpl &model, const ShardedCheckpoint &checkpoint);

// A folder with config.json and model.safetensors (or an index and shards).
CausalLM loadHfCausalLM(const std::string &folder);

} // namespace lwb
