// The PEFT LoRA format (Hugging Face PEFT's save_pretrained), as a folder:
//
//   adapter_config.json        LoraConfig as JSON, keys sorted, indent 2
//   adapter_model.safetensors  metadata {"format": "pt"}; for each adapted
//                              module (its path in the transformers model):
//     base_model.model.<path>.lora_A.weight  [r, in_features]
//     base_model.model.<path>.lora_B.weight  [out_features, r]
//
// PEFT drops the adapter name ("default") from the keys when saving and puts
// it back when loading; older files that kept it (".lora_A.default.weight")
// are read too. The LoRA matrices have these shapes for every base layer:
// GPT-2's Conv1D layers (weight [in, out]) only set fan_in_fan_out true,
// which tells PEFT to transpose B A when it merges into the base weight.
// delta(x) = scaling * B A x with scaling = lora_alpha / r, or
// lora_alpha / sqrt(r) when use_rslora.
//
// adapter_config.json carries every key of LoraConfig as PEFT 0.10 - 0.13
// writes it, with PEFT's defaults for what the workbench does not use; later
// PEFT versions read such a file and fill their newer keys with defaults,
// while older ones would reject keys they do not know, so no newer key is
// written. engine/export/README.md lists the keys.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwb {

constexpr const char *kPeftConfigFile = "adapter_config.json";
constexpr const char *kPeftWeightsFile = "adapter_model.safetensors";
constexpr const char *kPeftKeyPrefix = "base_model.model.";

struct PeftLoraConfig
{
    std::int64_t r = 8;
    double loraAlpha = 8.0;
    double loraDropout = 0.0;
    std::vector<std::string> targetModules;  // leaf names (or full-name suffixes)
    std::string targetRegex;                 // target_modules given as one string: a full-match regex
    std::vector<std::string> excludeModules; // exclude_modules (PEFT >= 0.14): never targeted, same rules
    std::string excludeRegex;
    bool fanInFanOut = false;
    bool useRslora = false;
    std::string baseModel;                           // base_model_name_or_path ("" = null)
    std::map<std::string, std::int64_t> rankPattern; // module-name regex -> r
    std::map<std::string, double> alphaPattern;      // module-name regex -> lora_alpha

    // The rank / alpha / scaling of one module (PEFT's pattern matching:
    // a pattern key matches the whole module name or its end after a '.').
    std::int64_t rankOf(const std::string &modulePath) const;
    double alphaOf(const std::string &modulePath) const;
    double scalingOf(const std::string &modulePath) const;
    // Whether target_modules selects the module and exclude_modules does not
    // (PEFT's rule: the name equals an entry or ends with "." + entry; a
    // string is a full regex).
    bool targets(const std::string &modulePath) const;
};

// Every key PEFT writes, sorted as json.dumps(sort_keys=True) sorts them.
nlohmann::json peftConfigJson(const PeftLoraConfig &config);

// Reads and checks <folder>/adapter_config.json: peft_type "LORA"; features
// the workbench cannot represent (DoRA and PEFT's other LoRA variants,
// biases, modules_to_save, layers_to_transform, layer_replication,
// target_parameters, trainable tokens) are refused by name.
PeftLoraConfig readPeftConfig(const std::string &folder);

// base_model.model.<path>.lora_A.weight ("A") / lora_B ("B").
std::string peftTensorKey(const std::string &modulePath, char matrix);

// The module path and matrix ('A'/'B') of a PEFT key, or nullopt when the
// key is not a LoRA A/B weight (the caller names it in its error).
struct PeftKey
{
    std::string modulePath;
    char matrix = 'A';
};
std::optional<PeftKey> parsePeftTensorKey(const std::string &key);

} // namespace lwb
