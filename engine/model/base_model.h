// The base model a run starts from: a preset's random weights, or a Hugging
// Face checkpoint folder named by model.path — a path, or "builtin:NAME" for
// the models the workbench ships (resources/models/NAME, e.g. the lexicon
// base that `lorawb pretrain` made). Built-in models are found in, in order:
//   $LWB_MODELS_DIR/NAME
//   <executable>/../share/lora-workbench/models/NAME   (installed)
//   <source tree>/resources/models/NAME                (a build tree)
#pragma once

#include "engine/model/causal_lm.h"

#include <string>
#include <vector>

namespace lwb {

inline constexpr const char *kBuiltinModelPrefix = "builtin:";

// The folder a model.path names; lwb::Error (where "model.path") when it is
// not a folder with config.json, or names no built-in model.
std::string resolveModelPath(const std::string &path);

// The built-in models found (names, without the prefix).
std::vector<std::string> builtinModelNames();

// The shape in the folder's config.json (preset "", path not set).
ModelConfig checkpointModelConfig(const std::string &folder);

// The config.json keys whose values differ between two shapes.
std::vector<std::string> differingShapeKeys(const ModelConfig &a, const ModelConfig &b);

// A preset's random base (drawn from initSeed), or the checkpoint's weights,
// in `dtype` (a checkpoint is read straight into it, hf_checkpoint.h).
CausalLM buildBaseModel(const ModelConfig &config, torch::ScalarType dtype = torch::kFloat32);

} // namespace lwb
