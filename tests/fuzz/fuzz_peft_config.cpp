// Fuzzes PEFT adapter import (engine/export: importPeftAdapter, which reads
// adapter_config.json with readPeftConfig, and checkInitFromFolder): the
// input is adapter_config.json, in a folder whose adapter_model.safetensors
// holds rank-4 LoRA weights for every linear layer of the tiny GPT-2 fixture
// (tests/fixtures/hf/gpt2), the model it is imported onto. The fuzzed config
// decides which modules are targeted (names, a regex, exclude_modules), the
// ranks and alphas (rank_pattern / alpha_pattern regexes) and the refused
// features; each way in must end as an import or an lwb::Error.
#include "engine/adapters/adapted_linear.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/export/peft_format.h"
#include "engine/export/peft_import.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "fuzz_support.h"

#include <torch/torch.h>

namespace {

constexpr std::int64_t kRank = 4;

lwb::CausalLM loadModel()
{
    return lwb::loadHfCausalLM(lwb::fuzz::sourcePath("tests/fixtures/hf/gpt2"));
}

// adapter_model.safetensors for every linear layer: A [r, in], B [out, r].
void writeWeights(lwb::CausalLMImpl &model)
{
    lwb::NamedTensors tensors;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        const auto linear = std::dynamic_pointer_cast<lwb::AdaptedLinearImpl>(item.value());
        if (!linear)
            continue;
        tensors.emplace_back(lwb::peftTensorKey(item.key(), 'A'), torch::full({kRank, linear->inFeatures()}, 0.01f));
        tensors.emplace_back(lwb::peftTensorKey(item.key(), 'B'), torch::full({linear->outFeatures(), kRank}, -0.02f));
    }
    lwb::writeSafetensors(lwb::fuzz::scratch().path() + "/adapter/" + lwb::kPeftWeightsFile, tensors,
                          {{"format", "pt"}});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static lwb::CausalLM model = [] {
        auto loaded = loadModel();
        lwb::fuzz::scratch().write("adapter/.keep", "");
        writeWeights(*loaded);
        return loaded;
    }();
    lwb::fuzz::scratch().write(std::string("adapter/") + lwb::kPeftConfigFile, lwb::fuzz::bytesOf(data, size));
    const auto folder = lwb::fuzz::scratch().path() + "/adapter";
    try {
        const auto summary = lwb::importPeftAdapter(folder, *model);
        for (const auto &module : summary.modules)
            (void)summary.config.scalingOf(module);
    } catch (const lwb::Error &) {
    }
    try {
        lwb::AdapterConfig adapter;
        adapter.variant = "lora";
        adapter.rank = kRank;
        adapter.initFrom = folder;
        lwb::checkInitFromFolder(adapter, "fuzz/run.json");
    } catch (const lwb::Error &) {
    }
    return 0;
}
