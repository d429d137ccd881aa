// Hugging Face checkpoint folders <-> CausalLM: config.json (hf_config.h,
// every supported model_type) and the base weights under transformers' names
// and layouts.
//
//   GPT-2  GPT2LMHeadModel: "transformer.*" keys (read with or without the
//          prefix); c_attn, c_proj and c_fc are Conv1D modules whose weight is
//          stored [in, out], the transpose of our AdaptedLinear's [out, in].
//   Llama family (Llama, Mistral, Qwen2/3, Gemma/Gemma 2, Phi-3): nn.Linear
//          weights [out, in] under the model's own module names, so the
//          mapping is the identity.
// lm_head.weight is present only when the embeddings are untied. The causal
// mask buffers of old GPT-2 checkpoints ("attn.bias", "attn.masked_bias") and
// Llama's "rotary_emb.inv_freq" are ignored as transformers ignores them.
// Any other key, missing weight or shape mismatch is an lwb::Error naming it.
#pragma once

#include "engine/model/causal_lm.h"
#include "engine/model/hf_config.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "engine/tensor_io/sharded_checkpoint.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace lwb {

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
