// See merged_export.h.
#include "engine/export/merged_export.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/core/error.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/sharded_writer.h"

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

void writeCheckpoint(ExportFolder &folder, CausalLMImpl &model, const std::map<std::string, torch::Tensor> &replaced,
                     torch::ScalarType dtype, std::uint64_t maxShardBytes)
{
    torch::NoGradGuard noGrad;
    NamedTensors tensors;
    for (auto &[name, tensor] : hfStateDict(model, replaced))
        tensors.emplace_back(name, tensor.to(torch::kCPU, dtype).contiguous());
    for (const auto &file : writeShardedSafetensors(folder.stagingFolder(), tensors, maxShardBytes, {{"format", "pt"}}))
        folder.addFile(file);
    writeFileAtomically(folder.stage("config.json"), hfConfigJson(model.config(), dtypeName(dtype)).dump(2) + "\n");
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
