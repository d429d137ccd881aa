// PEFT export of plain LoRA adapters: a folder that PEFT's
// PeftModel.from_pretrained loads onto the transformers model of the base
// (format in peft_format.h).
//
// Variants whose adapters reduce exactly to one LoRA per layer (merged
// ResLoRA) build the PeftModule list themselves and call writePeftAdapter.
#pragma once

#include "engine/export/export_folder.h"
#include "engine/export/peft_format.h"
#include "engine/model/causal_lm.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace lwb {

struct PeftModule
{
    std::string path;    // module path in the transformers model ("model.layers.0.self_attn.q_proj")
    torch::Tensor loraA; // [r, in]
    torch::Tensor loraB; // [out, r]
};

// The LoRA adapters of a model as PEFT modules plus the LoraConfig that
// describes them (ranks and alphas per module go to rank_pattern /
// alpha_pattern when they differ). Throws lwb::Error when a layer carries
// another adapter type.
struct PeftAdapterExport
{
    PeftLoraConfig config;
    std::vector<PeftModule> modules;
};
PeftAdapterExport peftAdapterOf(CausalLMImpl &model, const std::vector<std::string> &targets,
                                const std::string &baseModel);

// Writes adapter_config.json and adapter_model.safetensors ({"format": "pt"},
// tensors in `dtype`) into `relativeFolder` of the export ("" = its root).
void writePeftAdapter(ExportFolder &folder, const std::string &relativeFolder, const PeftAdapterExport &adapter,
                      torch::ScalarType dtype);

} // namespace lwb
