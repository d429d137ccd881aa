// targetableModules: the leaf names of the linear layers a model has, in
// forward order — the names a LoRA targets (adapter.targets, PEFT's
// target_modules) and the one source of truth for them: they are the names
// the model registers its AdaptedLinear layers under (attention.cpp,
// feed_forward.cpp), which are Hugging Face's and therefore PEFT's.
//   GPT-2        c_attn, c_proj, c_fc (c_proj names both attention's and
//                the MLP's output, as in HF)
//   Llama family q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj,
//                down_proj (Llama, Mistral, Qwen2/3, Gemma, Gemma 2)
//   Phi-3        qkv_proj, o_proj, gate_up_proj, down_proj
//   GPT-NeoX     query_key_value, dense, dense_h_to_4h, dense_4h_to_h
// The output head (lm_head) is not among them, as PEFT's "all-linear".
#pragma once

#include "engine/model/model_config.h"

#include <string>
#include <vector>

namespace lwb {

std::vector<std::string> targetableModules(const ModelConfig &config);

} // namespace lwb
