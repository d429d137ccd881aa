// See exporter_registry.h. Each entry writes its files and says, in the
// model card, how the export is loaded.
#include "engine/export/exporter_registry.h"

#include "engine/adapters/reslora_merge.h"
#include "engine/adapters/variant_traits.h"
#include "engine/core/error.h"
#include "engine/export/dlp_bundle.h"
#include "engine/export/merged_export.h"
#include "engine/export/peft_export.h"
#include "engine/export/run_export.h"
#include "engine/export/sira_bundle.h"

#include <algorithm>

namespace lwb {

namespace {

void writePeft(ExportJob &job)
{
    const auto adapter = peftAdapterOf(job.model, job.config.adapter.targets, job.card.baseModel);
    writePeftAdapter(job.folder, "", adapter, job.dtype);
    job.card.tags = {"lora", "peft", "lora-workbench"};
    job.card.howToLoad = "```python\n"
                         "from transformers import AutoModelForCausalLM\n"
                         "from peft import PeftModel\n\n"
                         "base = AutoModelForCausalLM.from_pretrained(\"PATH/TO/BASE\")  # "
                         + job.card.baseModel
                         + "\n"
                           "model = PeftModel.from_pretrained(base, \"PATH/TO/THIS/FOLDER\")\n"
                           "```\n\n"
                           "In the workbench: `adapter.init_from` in a run config (further training or evaluation).\n"
                           "A built-in base model (random, drawn from `model.init_seed`) is written as a Hugging "
                           "Face folder by `lorawb export RUN --format base`.\n";
}

// ResLoRA is trained with shortcuts and published without them: its blocks
// are merged into plain LoRA factors (reslora_merge.h) for as long as the
// PEFT writer reads the model. bs merges exactly at rank (min(m, n) + 1) r, so
// its blocks differ in rank and go to rank_pattern / alpha_pattern.
void writeResLoraPeft(ExportJob &job)
{
    const MergedResLoraSwap merged(job.model);
    writePeft(job);
    job.card.tags = {"lora", "reslora", "peft", "lora-workbench"};
    job.card.howToLoad += "\nThis is the ResLoRA run merged into plain LoRA (variant "
                          + job.config.adapter.reslora.variant + ", merge " + job.config.adapter.reslora.merge
                          + "): it computes what the run's merged evaluation measured.\n";
}

void writeMerged(ExportJob &job)
{
    writeMergedModel(job.folder, job.model, job.dtype, job.request.maxShardBytes);
    job.card.tags = {"lora", "merged", "lora-workbench"};
    job.card.howToLoad = "```python\n"
                         "from transformers import AutoModelForCausalLM\n\n"
                         "model = AutoModelForCausalLM.from_pretrained(\"PATH/TO/THIS/FOLDER\")\n"
                         "```\n\n"
                         "The adapter is merged into the weights (W + scaling * B A). A base from a Hugging Face "
                         "folder keeps its tokenizer files here; the built-in models use the workbench's byte "
                         "tokenizer (bytes 0-255, BOS 256, EOS 257, PAD 258), which has no files.\n";
}

void writeBase(ExportJob &job)
{
    writeBaseModel(job.folder, job.model, job.dtype, job.request.maxShardBytes);
    job.card.tags = {"base-model", "lora-workbench"};
    job.card.howToLoad = "```python\n"
                         "from transformers import AutoModelForCausalLM\n\n"
                         "model = AutoModelForCausalLM.from_pretrained(\"PATH/TO/THIS/FOLDER\")\n"
                         "```\n\n"
                         "The run's base model without its adapter: what the run's PEFT export loads onto.\n";
}

void writeSira(ExportJob &job)
{
    writeSiraBundle(job.folder, job.model, job.config.adapter, job.card.baseModel, job.dtype,
                    job.request.expertFolders);
    job.card.tags = {"lora", "sira", "mixture-of-experts", "lora-workbench"};
    job.card.howToLoad = "A SiRA bundle (format in LoRA Workbench's engine/export/README.md): "
                         "`sira_bundle.json` holds the settings, `sira_adapter.safetensors` the router and experts "
                         "of every adapted module. The workbench imports it with `importSiraBundle()`. SiRA routes "
                         "each token to its top-k experts, so there is no single PEFT LoRA that equals it; "
                         "`experts/expert-NN/` (when exported) hold each expert alone as a PEFT LoRA folder.\n";
}

void writeDlp(ExportJob &job)
{
    if (job.study == nullptr)
        throw Error("export", "a DLP-LoRA bundle is written from a study's folder");
    writeDlpBundle(job.folder, *job.study, job.card.baseModel, job.dtype);
    job.card.tags = {"lora", "dlp-lora", "peft", "lora-workbench"};
    job.card.howToLoad = "A DLP-LoRA bundle (format in LoRA Workbench's engine/export/README.md): `dlp_bundle.json` "
                         "lists the task LoRAs in the plugin's class order, the selection rule and the plugin's "
                         "shape; `tasks/<task>/` holds each task LoRA as a PEFT folder "
                         "(`PeftModel.from_pretrained(base, \"PATH/tasks/<task>\")`), `plugin.safetensors` the "
                         "plugin that picks and weights them per input. In the workbench a task folder is a "
                         "library entry's source.\n";
}

} // namespace

bool exportsVariant(const Exporter &exporter, const std::string &variant)
{
    // The variant's traits say which formats its runs have; this table only
    // says how each is written.
    const auto *traits = findVariantTraits(variant);
    if (!traits)
        return false;
    const auto &formats = traits->exportFormats;
    if (std::find(formats.begin(), formats.end(), exporter.format) == formats.end())
        return false;
    const auto &own = exporter.variants;
    return own.empty() || std::find(own.begin(), own.end(), variant) != own.end();
}

const std::vector<Exporter> &exporters()
{
    static const std::vector<Exporter> kExporters = {
        {{"lora"}, "peft", "peft_adapter", writePeft},  {{"reslora"}, "peft", "peft_adapter", writeResLoraPeft},
        {{"sira"}, "bundle", "sira_bundle", writeSira}, {{kDlpVariant}, "bundle", "dlp_bundle", writeDlp},
        {{}, "merged", "merged_model", writeMerged},    {{}, "base", "base_model", writeBase},
    };
    return kExporters;
}

const Exporter &findExporter(const std::string &variant, const std::string &format)
{
    std::string formats;
    for (const auto &exporter : exporters()) {
        if (!exportsVariant(exporter, variant))
            continue;
        if (exporter.format == format)
            return exporter;
        formats += (formats.empty() ? "" : ", ") + exporter.format;
    }
    throw Error("format", "\"" + format + "\" is not an export format of the " + variant
                              + " variant (its formats: " + formats + ")");
}

} // namespace lwb
