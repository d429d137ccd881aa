// What several benchmarks need alike.
#pragma once

#include "engine/model/model_config.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>

namespace lwb::bench {

// Draws every LoRA B factor from N(0, 0.02): at initialisation B = 0, and a
// zero factor would let a benchmark time work that trained adapters do not
// get to skip (and leave nothing for generation to differ on).
inline void giveLoraTrainedValues(torch::nn::Module &model)
{
    torch::NoGradGuard noGrad;
    for (auto &item : model.named_parameters())
        if (item.key().find("lora_B") != std::string::npos)
            item.value().normal_(0.0, 0.02);
}

// The base a benchmark times, for its header line: model.path or the preset.
inline std::string baseName(const ModelConfig &model)
{
    return model.path.empty() ? model.preset : model.path;
}

} // namespace lwb::bench
