// See peft_export.h.
#include "engine/export/peft_export.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/core/error.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/safetensors_writer.h"

#include <cmath>

namespace lwb {

namespace {

std::string joined(const std::string &folder, const std::string &file)
{
    return folder.empty() ? file : folder + "/" + file;
}

// A pattern key that names exactly one module. PEFT before 0.13 matches a key
// with re.match(r".*\.{key}$", name), which needs a '.' before the key, so the
// full path never matches; the path without its first component does, in
// every version, and still names one module ("h\.3\.attn\.c_attn" for
// "transformer.h.3.attn.c_attn"). Dots are escaped: the key is a regex.
std::string exactPattern(const std::string &path)
{
    const auto firstDot = path.find('.');
    const std::string suffix = firstDot == std::string::npos ? path : path.substr(firstDot + 1);
    std::string escaped;
    for (const char c : suffix) {
        if (c == '.')
            escaped += '\\';
        escaped += c;
    }
    return escaped;
}

} // namespace

PeftAdapterExport peftAdapterOf(CausalLMImpl &model, const std::vector<std::string> &targets,
                                const std::string &baseModel)
{
    PeftAdapterExport out;
    out.config.targetModules = targets;
    out.config.baseModel = baseModel;
    // GPT-2's targets are Conv1D layers in transformers.
    out.config.fanInFanOut = model.config().architecture == Architecture::Gpt2;
    bool first = true;
    for (const auto &entry : adaptedLayers(model)) {
        const auto lora = std::dynamic_pointer_cast<LoraAdapterImpl>(entry.layer->adapter());
        if (!lora)
            throw Error(entry.site.path, "carries a non-LoRA adapter; the PEFT export writes plain LoRA only");
        const auto &options = lora->options();
        if (first) {
            out.config.r = options.rank;
            out.config.loraAlpha = options.alpha;
            out.config.loraDropout = options.dropout;
            out.config.useRslora = options.rslora;
            first = false;
        }
        if (options.rslora != out.config.useRslora)
            throw Error(entry.site.path, "mixes rsLoRA and LoRA scaling across layers; PEFT has one use_rslora");
        if (options.rank != out.config.r)
            out.config.rankPattern[exactPattern(entry.site.path)] = options.rank;
        if (options.alpha != out.config.loraAlpha)
            out.config.alphaPattern[exactPattern(entry.site.path)] = options.alpha;
        out.modules.push_back({entry.site.path, lora->loraA.detach(), lora->loraB.detach()});
    }
    if (out.modules.empty())
        throw Error("export", "the model carries no adapter");
    return out;
}

void writePeftAdapter(ExportFolder &folder, const std::string &relativeFolder, const PeftAdapterExport &adapter,
                      torch::ScalarType dtype)
{
    NamedTensors tensors;
    for (const auto &module : adapter.modules) {
        tensors.emplace_back(peftTensorKey(module.path, 'A'), module.loraA.to(torch::kCPU, dtype).contiguous());
        tensors.emplace_back(peftTensorKey(module.path, 'B'), module.loraB.to(torch::kCPU, dtype).contiguous());
    }
    const auto weights = joined(relativeFolder, kPeftWeightsFile);
    writeSafetensors(folder.stage(weights), tensors, {{"format", "pt"}});
    folder.addFile(weights);
    const auto config = joined(relativeFolder, kPeftConfigFile);
    // PEFT writes json.dumps(indent=2, sort_keys=True) and a newline.
    writeFileAtomically(folder.stage(config), peftConfigJson(adapter.config).dump(2) + "\n");
    folder.addFile(config);
}

} // namespace lwb
