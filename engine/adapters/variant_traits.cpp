// See variant_traits.h. The one table of what each variant is; its factory is
// registered under the same name in adapter_registry.cpp (a test checks that
// the two name the same adapter variants) and its writers in
// engine/export/exporter_registry.cpp (a test checks every declared format
// has one).
#include "engine/adapters/variant_traits.h"

#include "engine/core/error.h"

#include <algorithm>

namespace lwb {

namespace {

std::vector<VariantTraits> buildTraits()
{
    VariantTraits lora;
    lora.name = "lora";
    lora.title = "LoRA: one low-rank update per target layer";
    lora.exportFormats = {"peft", "merged", "base"};

    VariantTraits reslora;
    reslora.name = "reslora";
    reslora.title = "ResLoRA: shortcuts between the LoRA blocks of successive layers";
    reslora.configSection = "adapter.reslora";
    reslora.evaluatesMergedModel = true; // its PEFT export is the merge, an approximation
    reslora.exportFormats = {"peft", "merged", "base"};
    reslora.fields = resloraConfigFields();

    VariantTraits sira;
    sira.name = "sira";
    sira.title = "SiRA: sparse mixture of LoRA experts";
    sira.configSection = "adapter.sira";
    sira.reportsRouting = true;
    // "merged" is offered and refused per run where the routing depends on
    // the input (engine/export/README.md): it names the reason there.
    sira.exportFormats = {"bundle", "merged", "base"};
    sira.fields = siraConfigFields();

    VariantTraits dlp;
    dlp.name = "dlp";
    dlp.title = "DLP-LoRA: a plugin picks and fuses task LoRAs per input";
    dlp.configSection = "adapter.dlp";
    dlp.isStudy = true;
    dlp.exportFormats = {"bundle", "base"}; // no single merged model: the fused set changes per input
    dlp.fields = dlpConfigFields();

    VariantTraits full;
    full.name = "full";
    full.title = "Full fine-tuning: every base weight trains";
    full.attachesAdapters = false;
    full.exportFormats = {"merged", "base"};

    return {lora, reslora, sira, dlp, full};
}

} // namespace

const std::vector<VariantTraits> &variantTraits()
{
    static const std::vector<VariantTraits> kTraits = buildTraits();
    return kTraits;
}

std::vector<std::string> variantNames()
{
    std::vector<std::string> names;
    for (const auto &traits : variantTraits())
        names.push_back(traits.name);
    return names;
}

const VariantTraits *findVariantTraits(const std::string &name)
{
    const auto &all = variantTraits();
    const auto found = std::find_if(all.begin(), all.end(), [&](const VariantTraits &t) { return t.name == name; });
    return found == all.end() ? nullptr : &*found;
}

const VariantTraits &variantTraitsOf(const std::string &name)
{
    if (const auto *traits = findVariantTraits(name))
        return *traits;
    std::string known;
    for (const auto &traits : variantTraits())
        known += (known.empty() ? "" : ", ") + traits.name;
    throw Error("adapter.variant", "unknown adapter variant \"" + name + "\" (known: " + known + ")");
}

bool isStudyVariant(const std::string &name)
{
    const auto *traits = findVariantTraits(name);
    return traits && traits->isStudy;
}

bool reportsRouting(const std::string &name)
{
    const auto *traits = findVariantTraits(name);
    return traits && traits->reportsRouting;
}

} // namespace lwb
