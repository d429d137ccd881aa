// VariantTraits: what a variant declares about itself, so that the trainer,
// the GUI, the CLI and the exporters ask the registry instead of comparing
// variant names (STYLE.md rule 13, as PEFT's tuner registry does).
//
// Every name adapter.variant may take has one entry: the adapter variants of
// the registry (lora, reslora, sira), the DLP-LoRA study (dlp, a study over
// plain LoRAs, engine/dlp) and full fine-tuning (full, no adapter). A new
// variant adds its entry in adapter_registry.cpp and its form fields in
// variant_config_fields.cpp; nothing outside engine/adapters and
// engine/config names it.
//
// Torch-free on purpose: the GUI and the run store read these facts without
// building a model.
#pragma once

#include <string>
#include <vector>

namespace lwb {

// One setting of a variant's config section as the run form shows it: data,
// not code, so every variant's panel is built by the same editor code. Text is
// English; the GUI translates it in context "VariantFields".
struct VariantConfigField
{
    enum class Kind { Integer, Real, Flag, Choice };
    std::string path;  // "adapter.sira.top_k"
    std::string label; // with an & accelerator
    Kind kind = Kind::Integer;
    double minimum = 0.0;
    double maximum = 0.0;
    int decimals = 0;                 // Real
    double step = 1.0;                // Real
    std::vector<std::string> choices; // Choice
    std::string tooltip;              // what it does and its default
};

struct VariantTraits
{
    std::string name;  // the adapter.variant value
    std::string title; // one line for the run form: "SiRA: sparse mixture of LoRA experts"
    // The config section of its own settings ("adapter.sira"), "" for none.
    std::string configSection;
    // false: no adapter at all, the base itself trains ("full"); r, alpha,
    // dropout and targets do not apply.
    bool attachesAdapters = true;
    // A study (DLP-LoRA): one run trains and compares several models and
    // runs as a whole DlpStudy, not as one Trainer.
    bool isStudy = false;
    // The final evaluation is repeated on the adapters merged into plain LoRA
    // (ResLoRA): the merge is an approximation whose cost is reported.
    bool evaluatesMergedModel = false;
    // Its adapters route tokens to experts and report routing figures (expert
    // load, entropy, dropped tokens): the routing views have something to show.
    bool reportsRouting = false;
    // The export formats its runs have (engine/export/exporter_registry.h
    // holds the writer of each), in the order the export dialog offers them.
    std::vector<std::string> exportFormats;
    // The form fields of configSection, in display order.
    std::vector<VariantConfigField> fields;
};

// Every variant, in the order a person picks from: the adapters by name, then
// the study, then full fine-tuning.
const std::vector<VariantTraits> &variantTraits();

// Every name adapter.variant may take, in the same order.
std::vector<std::string> variantNames();

// The traits of a variant; nullptr when the name is none (a stored run may
// carry a variant this build does not know).
const VariantTraits *findVariantTraits(const std::string &name);

// The traits of a variant; throws lwb::Error at "adapter.variant" naming the
// unknown variant and the known ones.
const VariantTraits &variantTraitsOf(const std::string &name);

// Convenience for callers that may see unknown names: false for those.
bool isStudyVariant(const std::string &name);
bool reportsRouting(const std::string &name);

// The form fields of each variant that has a config section (variant_config_fields.cpp).
std::vector<VariantConfigField> siraConfigFields();
std::vector<VariantConfigField> resloraConfigFields();
std::vector<VariantConfigField> dlpConfigFields();

} // namespace lwb
