// The exporters: which (adapter variant, format) pairs can be exported and
// the function that writes each. exportModel() looks the pair up here.
//
// A variant adds its exporters to the table in exporter_registry.cpp:
//   ResLoRA: {"reslora", "peft"} swaps in its merged LoRA factors
//            (MergedResLoraSwap) and writes them as plain LoRA; "merged" works
//            through its adapters' denseDelta().
//   DLP-LoRA: {"dlp", "bundle"} (dlp_bundle.h): each task LoRA as a PEFT
//            folder, the plugin's tensors and a manifest; the job carries
//            the loaded study (ExportJob::study).
// Which formats a variant has is its trait (VariantTraits::exportFormats,
// engine/adapters/variant_traits.h); a row of variant "*" writes that format
// for every variant that declares it (the merged and base exports).
#pragma once

#include "engine/config/run_config.h"
#include "engine/export/export_folder.h"
#include "engine/export/model_card.h"
#include "engine/model/causal_lm.h"

#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

namespace lwb {

class DlpModel;
struct RunExportRequest;

struct ExportJob
{
    const RunConfig &config;
    CausalLMImpl &model;
    const RunExportRequest &request;
    torch::ScalarType dtype;
    ExportFolder &folder;
    ModelCardFacts &card;      // fill howToLoad (and tags); written after the exporter
    DlpModel *study = nullptr; // a DLP-LoRA study's library and plugin (model is its fused base)
};

struct Exporter
{
    // The variants whose writer this is; empty: a writer for any variant
    // whose traits list the format (merged, base).
    std::vector<std::string> variants;
    std::string format;       // "peft", "merged", "bundle", ...
    std::string artifactKind; // recorded in the run store: "peft_adapter", ...
    std::function<void(ExportJob &)> write;
};

const std::vector<Exporter> &exporters();

// Whether the exporter serves runs of this variant: the variant declares the
// format and the row is written for it (or for any variant).
bool exportsVariant(const Exporter &exporter, const std::string &variant);

// The exporter for a variant and format; throws lwb::Error listing the
// formats the variant has when there is none.
const Exporter &findExporter(const std::string &variant, const std::string &format);

} // namespace lwb
