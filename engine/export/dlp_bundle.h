// The DLP-LoRA bundle: a finished study as files, so its library and plugin
// travel without the workbench's folder layout. The layout is documented in
// engine/export/README.md ("DLP-LoRA bundle"):
//
//   dlp_bundle.json      manifest (format, version, base model, the tasks in
//                        library order — task i is LoRA i and plugin class
//                        i — with their folders, selection rule and P,
//                        fusion weights, granularity, the plugin's shape)
//   tasks/<task>/        each task LoRA as its own PEFT LoRA folder
//   plugin.safetensors   the plugin's parameters and buffers by name
//
// A task folder loads with PeftModel.from_pretrained or back into a
// workbench library (engine/dlp: loadLibraryEntry).
#pragma once

#include "engine/export/export_folder.h"

#include <torch/types.h>

#include <string>

namespace lwb {

class DlpModel;

constexpr const char *kDlpManifestFile = "dlp_bundle.json";
constexpr const char *kDlpPluginFile = "plugin.safetensors";
constexpr const char *kDlpBundleFormat = "lorawb.dlp_bundle";
constexpr int kDlpBundleVersion = 1;

void writeDlpBundle(ExportFolder &folder, DlpModel &study, const std::string &baseModel, torch::ScalarType dtype);

} // namespace lwb
