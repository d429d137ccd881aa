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

// Puts the checkpoint's weights into the model in `dtype` (any floating dtype
// stored); every weight of the model must be found, every key used. A tensor
// stored in `dtype` is read straight from the file into the parameter's new
// storage, never through float32; a parameter of another dtype than `dtype`
// gets that storage instead of its own (freed at once), so loading a bf16
// checkpoint as bf16 costs the bf16 model, not a float32 copy of it.
void loadHfWeights(CausalLMImpl &model, const ShardedCheckpoint &checkpoint, torch::ScalarType dtype = torch::kFloat32);

// A folder with config.json and model.safetensors (or an index and shards).
CausalLM loadHfCausalLM(const std::string &folder, torch::ScalarType dtype = torch::kFloat32);

} // namespace lwb
