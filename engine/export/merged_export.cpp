// See merged_export.h.
#include "engine/export/merged_export.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/model/base_model.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/sharded_writer.h"

#include <filesystem>
#include <map>

namespace lwb {

namespace {

const char *dtypeName(torch::ScalarType dtype)
{
    if (dtype == torch::kFloat16)
        return "float16";
    if (dtype == torch::kBFloat16)
        return "bfloat16";
    return "float32";
}

// W + denseDelta() of every adapted layer, by weight name, in float32. The
// model itself is not merged: unmerging would give W back only up to
// rounding, and an export must leave the model exactly as it was.
std::map<std::string, torch::Tensor> mergedWeights(CausalLMImpl &model)
{
    std::map<std::string, torch::Tensor> merged;
    for (const auto &entry : adaptedLayers(model)) {
        const auto delta = entry.layer->adapter()->denseDelta();
        if (!delta)
            throw Error(entry.site.path, "its adapter has no dense equivalent (routing depends on the input), "
                                         "so it cannot be merged into the weight; export a bundle instead");
        if (entry.layer->merged())
            throw Error(entry.site.path, "is merged already; unmerge before exporting");
        merged[entry.site.path + ".weight"] = entry.layer->weight.to(torch::kFloat32) + delta->to(torch::kFloat32);
    }
    return merged;
}

} // namespace

torch::ScalarType exportDtype(const std::string &name)
{
    if (name == "float32")
        return torch::kFloat32;
    if (name == "float16")
        return torch::kFloat16;
    if (name == "bfloat16")
        return torch::kBFloat16;
    throw Error("dtype", "\"" + name + "\" is not float32, float16 or bfloat16");
}

namespace {

// A base from a checkpoint folder keeps its tokenizer: its files go beside
// the weights, and its config.json's special-token ids replace the byte
// tokenizer's, so the export reads text as the run did.
void keepTokenizerOf(const ModelConfig &base, ExportFolder &folder, nlohmann::json &config)
{
    if (base.path.empty())
        return;
    const std::filesystem::path source = resolveModelPath(base.path);
    const auto sourceConfig = readJsonFile((source / "config.json").string(), "model config");
    for (const char *key : {"bos_token_id", "eos_token_id", "pad_token_id"})
        if (sourceConfig.contains(key))
            config[key] = sourceConfig[key];
    for (const char *name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
        if (!std::filesystem::is_regular_file(source / name))
            continue;
        std::filesystem::copy_file(source / name, folder.stage(name),
                                   std::filesystem::copy_options::overwrite_existing);
        folder.addFile(name);
    }
}

void writeCheckpoint(ExportFolder &folder, CausalLMImpl &model, const std::map<std::string, torch::Tensor> &replaced,
                     torch::ScalarType dtype, std::uint64_t maxShardBytes)
{
    torch::NoGradGuard noGrad;
    NamedTensors tensors;
    for (auto &[name, tensor] : hfStateDict(model, replaced))
        tensors.emplace_back(name, tensor.to(torch::kCPU, dtype).contiguous());
    for (const auto &file : writeShardedSafetensors(folder.stagingFolder(), tensors, maxShardBytes, {{"format", "pt"}}))
        folder.addFile(file);
    auto config = hfConfigJson(model.config(), dtypeName(dtype));
    keepTokenizerOf(model.config(), folder, config);
    writeFileAtomically(folder.stage("config.json"), config.dump(2) + "\n");
    folder.addFile("config.json");
}

} // namespace

void writeMergedModel(ExportFolder &folder, CausalLMImpl &model, torch::ScalarType dtype, std::uint64_t maxShardBytes)
{
    torch::NoGradGuard noGrad;
    writeCheckpoint(folder, model, mergedWeights(model), dtype, maxShardBytes);
}

void writeBaseModel(ExportFolder &folder, CausalLMImpl &model, torch::ScalarType dtype, std::uint64_t maxShardBytes)
{
    writeCheckpoint(folder, model, {}, dtype, maxShardBytes);
}

} // namespace lwb
