// exportRun: the one entry point that turns a run's checkpoint into files
// other tools load. The CLI (`lorawb export`) and the GUI's export dialog
// both call it; the run store then records each written file's SHA-256
// (storage/export_artifacts.h).
//
//   checkpoint -> its config (readCheckpointInfo) -> the base model rebuilt
//   from the config + the run's adapters attached -> adapter weights loaded
//   (loadCheckpointWeights) -> the exporter of (variant, format) writes into
//   an ExportFolder (sanitised name, staging + rename, --force) -> README.md
//   model card -> commit.
//
// Formats: "peft" (plain LoRA, peft_export.h), "merged" (any variant with a
// dense equivalent, merged_export.h), "base" (the base model alone, any
// variant), "bundle" (SiRA, sira_bundle.h; DLP-LoRA, dlp_bundle.h). A new
// variant plugs in its own exporter in exporter_registry.cpp.
//
// A DLP-LoRA study has no checkpoint: `checkpoint` is then the study's folder
// (it holds dlp_study.json), loaded whole (engine/dlp/DlpModel).
#pragma once

#include "engine/config/run_config.h"
#include "engine/export/export_request.h"
#include "engine/export/export_result.h"
#include "engine/model/causal_lm.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lwb {

class DlpModel;

// Throws lwb::Error (file, key or layer named) for a bad request, checkpoint
// or format; nothing is left at the destination then.
ExportResult exportRun(const RunExportRequest &request);

// The same from a model in memory whose adapters are attached and loaded
// (tests, and a caller that has the model at hand). `step` goes to the card.
// study: a DLP-LoRA study's library and plugin, `model` its fused base.
ExportResult exportModel(const RunConfig &config, CausalLMImpl &model, const RunExportRequest &request,
                         std::int64_t step = 0, DlpModel *study = nullptr);

} // namespace lwb
