// Merged-model export: the base model with every adapter folded into its
// weights (W + s B A), written as a Hugging Face checkpoint folder that
// transformers' AutoModelForCausalLM and loadHfCausalLM() load:
//   config.json                       hfConfigJson() (GPT2LMHeadModel,
//                                     LlamaForCausalLM or Qwen2ForCausalLM)
//   model.safetensors                 or model-0000i-of-0000N.safetensors +
//                                     model.safetensors.index.json past the
//                                     shard limit (sharded_writer.h)
// Names and layouts are transformers' (hf_checkpoint.h): GPT-2's Conv1D
// weights are written transposed, [in, out]. Only adapters with a dense
// equivalent merge (LoRA, merged ResLoRA); routed ones (SiRA, DLP-LoRA) are
// refused with the layer named. The model itself is left untouched (the
// merged weights are computed beside it).
#pragma once

#include "engine/export/export_folder.h"
#include "engine/model/causal_lm.h"

#include <torch/types.h>

#include <cstdint>

namespace lwb {

void writeMergedModel(ExportFolder &folder, CausalLMImpl &model, torch::ScalarType dtype, std::uint64_t maxShardBytes);

// The base model alone, adapters left out, in the same layout: the model a
// PEFT export is loaded onto (the built-in bases are drawn from a seed and
// exist nowhere else).
void writeBaseModel(ExportFolder &folder, CausalLMImpl &model, torch::ScalarType dtype, std::uint64_t maxShardBytes);

// "float32" / "float16" / "bfloat16" -> torch type; lwb::Error otherwise.
torch::ScalarType exportDtype(const std::string &name);

} // namespace lwb
