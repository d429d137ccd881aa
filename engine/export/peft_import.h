// PEFT import: a PEFT LoRA folder (written by the workbench or by PEFT
// itself) onto a CausalLM whose module names and shapes match the base model
// the adapter was trained on.
//
// Every tensor of adapter_model.safetensors must be a lora_A / lora_B weight
// of a linear layer of the model that target_modules selects, with shapes
// [rank, in] and [out, rank]; every layer that target_modules selects must
// have both. Anything else is an lwb::Error that names the file, the module
// and the problem (missing module, unexpected tensor, shape), before the
// model is changed. GPT-2 adapters made on GPT2Model (keys without
// "transformer.") are accepted.
#pragma once

#include "engine/config/run_config.h"
#include "engine/export/peft_format.h"
#include "engine/model/causal_lm.h"

#include <string>
#include <vector>

namespace lwb {

struct PeftImportSummary
{
    PeftLoraConfig config;
    std::vector<std::string> modules; // model paths that received an adapter
};

// Freezes the base, attaches a LoRA adapter (ranks, alphas and rsLoRA from
// the folder; input dropout `dropout`) to every module of the folder and
// loads its weights. Replaces any adapter those layers had.
PeftImportSummary importPeftAdapter(const std::string &folder, CausalLMImpl &model, double dropout = 0.0);

// Loads the folder's weights into LoRA adapters already attached (a run's
// adapter.init_from): the modules, ranks and scalings must agree with the
// attached adapters, else an lwb::Error names the difference.
PeftImportSummary loadPeftWeights(const std::string &folder, CausalLMImpl &model);

// adapter.init_from of a run config against the folder's adapter_config.json:
// throws ConfigError with one issue at "adapter.init_from" per difference
// (unreadable folder, r, lora_alpha, use_rslora, target_modules), so that
// `lorawb validate` and the trainer explain what to change before anything
// runs. Does nothing when init_from is empty.
void checkInitFromFolder(const AdapterConfig &adapter, const std::string &source);

} // namespace lwb
