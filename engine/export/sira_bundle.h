// The SiRA bundle: a SiRA adapter as files. Routing depends on the input, so
// SiRA has no dense or PEFT equivalent; the bundle keeps every expert and
// router with a manifest that holds everything needed to run them again.
// The layout is documented in engine/export/README.md ("SiRA bundle"):
//
//   sira_bundle.json          manifest (format, version, base model, adapter
//                             and SiRA settings, the adapted modules)
//   sira_adapter.safetensors  per module path P: P.router [E, in],
//                             P.lora_A [E, r, in], P.lora_B [E, out, r]
//   experts/expert-NN/        optional: expert NN of every module as its own
//                             PEFT LoRA folder (what the expert alone adds,
//                             not the routed mixture)
#pragma once

#include "engine/config/run_config.h"
#include "engine/export/export_folder.h"
#include "engine/model/causal_lm.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace lwb {

constexpr const char *kSiraManifestFile = "sira_bundle.json";
constexpr const char *kSiraWeightsFile = "sira_adapter.safetensors";
constexpr const char *kSiraBundleFormat = "lorawb.sira_bundle";
constexpr int kSiraBundleVersion = 1;

// Writes the bundle of the model's SiRA adapters (every adapted layer must
// carry one). `adapter` is the run's adapter section (r, alpha, SiRA options).
void writeSiraBundle(ExportFolder &folder, CausalLMImpl &model, const AdapterConfig &adapter,
                     const std::string &baseModel, torch::ScalarType dtype, bool expertFolders);

struct SiraBundleSummary
{
    AdapterConfig adapter;            // variant "sira", as in the manifest
    std::vector<std::string> modules; // model paths that received an adapter
};

// Reads the manifest (every key checked like a run config's adapter section),
// checks that each module exists in the model with the recorded shapes, then
// freezes the base and attaches the SiRA adapters with the bundle's weights.
// A bad bundle is an lwb::Error naming the file, the key or module and the
// problem, before the model is changed.
SiraBundleSummary importSiraBundle(const std::string &folder, CausalLMImpl &model);

} // namespace lwb
