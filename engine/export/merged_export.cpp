// See merged_export.h.
#include "engine/export/merged_export.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/core/error.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/sharded_writer.h"

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

// Merges every adapter for the lifetime of the guard, then unmerges.
class MergedAdapters
{
public:
    explicit MergedAdapters(CausalLMImpl &model)
        : layers_(adaptedLayers(model))
    {
        for (auto &entry : layers_) {
            if (!entry.layer->adapter()->denseDelta()) {
                unmerge();
                throw Error(entry.site.path, "its adapter has no dense equivalent (routing depends on the input), "
                                             "so it cannot be merged into the weight; export a bundle instead");
            }
            entry.layer->merge();
        }
    }
    ~MergedAdapters() { unmerge(); }

private:
    void unmerge()
    {
        for (auto &entry : layers_)
            entry.layer->unmerge();
    }

    std::vector<AdaptedLayer> layers_;
};

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

void writeMergedModel(ExportFolder &folder, CausalLMImpl &model, torch::ScalarType dtype, std::uint64_t maxShardBytes)
{
    torch::NoGradGuard noGrad;
    NamedTensors tensors;
    {
        const MergedAdapters merged(model);
        for (auto &[name, tensor] : hfStateDict(model))
            tensors.emplace_back(name, tensor.to(torch::kCPU, dtype).clone());
    }
    for (const auto &file : writeShardedSafetensors(folder.stagingFolder(), tensors, maxShardBytes, {{"format", "pt"}}))
        folder.addFile(file);
    writeFileAtomically(folder.stage("config.json"), hfConfigJson(model.config(), dtypeName(dtype)).dump(2) + "\n");
    folder.addFile("config.json");
}

} // namespace lwb
