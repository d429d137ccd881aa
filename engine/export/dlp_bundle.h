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
// workbench library (engine/dlp: loadLibraryEntry); the whole bundle imports
// back with importDlpBundle().
#pragma once

#include "engine/config/run_config.h"
#include "engine/export/export_folder.h"

#include <torch/types.h>

#include <memory>
#include <string>

namespace lwb {

class DlpModel;

constexpr const char *kDlpManifestFile = "dlp_bundle.json";
constexpr const char *kDlpPluginFile = "plugin.safetensors";
constexpr const char *kDlpBundleFormat = "lorawb.dlp_bundle";
constexpr int kDlpBundleVersion = 1;

void writeDlpBundle(ExportFolder &folder, DlpModel &study, const std::string &baseModel, torch::ScalarType dtype);

// A bundle onto the base model of `base` (its model, seed and device): the
// task LoRAs (checked against the base), the plugin with the manifest's shape
// and the file's tensors, the manifest's selection and granularity. Throws
// lwb::Error naming the file and the key, task or tensor that is wrong.
std::unique_ptr<DlpModel> importDlpBundle(const std::string &folder, const RunConfig &base);

} // namespace lwb
