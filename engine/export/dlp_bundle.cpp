// See dlp_bundle.h.
#include "engine/export/dlp_bundle.h"

#include "engine/dlp/dlp_model.h"
#include "engine/export/peft_export.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/safetensors_writer.h"

#include <nlohmann/json.hpp>

namespace lwb {

void writeDlpBundle(ExportFolder &folder, DlpModel &study, const std::string &baseModel, torch::ScalarType dtype)
{
    const RunConfig &config = study.config();
    const auto &library = study.library();
    nlohmann::json tasks = nlohmann::json::array();
    for (const auto &lora : library.entries()) {
        PeftAdapterExport peft;
        peft.config.r = lora.rank;
        peft.config.loraAlpha = lora.alpha;
        peft.config.useRslora = lora.rslora;
        for (const auto &target : config.adapter.targets)
            peft.config.targetModules.push_back(target);
        peft.config.baseModel = baseModel;
        peft.config.fanInFanOut = config.model.architecture == Architecture::Gpt2;
        for (const auto &[path, ab] : lora.layers)
            peft.modules.push_back({path, ab.first, ab.second});
        const std::string relative = "tasks/" + lora.task;
        writePeftAdapter(folder, relative, peft, dtype);
        tasks.push_back({{"task", lora.task}, {"folder", relative}, {"r", lora.rank}, {"lora_alpha", lora.alpha},
                         {"use_rslora", lora.rslora}, {"scaling", lora.scale}});
    }

    PluginClassifier &plugin = study.plugin();
    NamedTensors tensors;
    for (const auto &item : plugin->named_parameters())
        tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, dtype).contiguous());
    for (const auto &item : plugin->named_buffers())
        tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, dtype).contiguous());
    writeSafetensors(folder.stage(kDlpPluginFile), tensors, {{"format", kDlpBundleFormat}});
    folder.addFile(kDlpPluginFile);

    const auto &dlp = config.adapter.dlp;
    const auto &options = plugin->options();
    const nlohmann::json manifest = {
        {"format", kDlpBundleFormat},
        {"format_version", kDlpBundleVersion},
        {"base_model", baseModel},
        {"architecture", toString(config.model.architecture)},
        {"dtype", std::string(c10::toString(dtype))},
        {"target_modules", config.adapter.targets},
        {"tasks", tasks},
        {"selection", toJson(dlp)["selection"]},
        {"granularity", dlp.granularity},
        {"plugin",
         {{"weights", kDlpPluginFile},
          {"embedding", options.baseEmbedding ? "base" : "own"},
          {"embedding_dim", options.baseEmbedding ? config.model.hiddenSize : options.embeddingDim},
          {"layers", options.layers},
          {"width", plugin->width()},
          {"vocab_size", options.vocabSize},
          {"classes", options.tasks},
          {"bigram_buckets", options.bigramBuckets},
          {"parameters", plugin->parameterCount()},
          {"input", "the prompt's token ids (BOS first): mean of their embeddings over real tokens, plus (bigram_buckets "
                    "> 0) the mean of bigrams[(id[t-1] * vocab_size + id[t]) mod bigram_buckets] over real pairs; "
                    "the MLP (ReLU between layers) gives one logit per task"}}},
        {"tokenizer", "the workbench's byte tokenizer for built-in models: bytes 0-255, BOS 256, EOS 257, PAD 258"},
    };
    writeFileAtomically(folder.stage(kDlpManifestFile), manifest.dump(2) + "\n");
    folder.addFile(kDlpManifestFile);
}

} // namespace lwb
