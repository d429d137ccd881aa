// Fuzzes SiRA bundle import (engine/export: importSiraBundle): the input is
// sira_bundle.json, in a folder whose sira_adapter.safetensors holds 4
// experts of rank 4 for every linear layer of the tiny GPT-2 fixture
// (tests/fixtures/hf/gpt2), the model it is imported onto. The manifest's
// adapter and SiRA settings go through the run config's reader; its module
// list must match the model and the weights. A bundle that imports must then
// run: one forward pass of four tokens with the imported routing settings.
#include "engine/adapters/adapted_linear.h"
#include "engine/core/error.h"
#include "engine/export/sira_bundle.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "fuzz_support.h"

#include <torch/torch.h>

namespace {

constexpr std::int64_t kExperts = 4;
constexpr std::int64_t kRank = 4;

// Per module path P: P.router [E, in], P.lora_A [E, r, in], P.lora_B [E, out, r].
void writeWeights(lwb::CausalLMImpl &model)
{
    lwb::NamedTensors tensors;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        const auto linear = std::dynamic_pointer_cast<lwb::AdaptedLinearImpl>(item.value());
        if (!linear)
            continue;
        const auto in = linear->inFeatures(), out = linear->outFeatures();
        tensors.emplace_back(item.key() + ".router", torch::linspace(-1.0, 1.0, kExperts * in).reshape({kExperts, in}));
        tensors.emplace_back(item.key() + ".lora_A", torch::full({kExperts, kRank, in}, 0.01f));
        tensors.emplace_back(item.key() + ".lora_B", torch::full({kExperts, out, kRank}, -0.02f));
    }
    lwb::writeSafetensors(lwb::fuzz::scratch().path() + "/bundle/" + lwb::kSiraWeightsFile, tensors,
                          {{"format", lwb::kSiraBundleFormat}});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static lwb::CausalLM model = [] {
        auto loaded = lwb::loadHfCausalLM(lwb::fuzz::sourcePath("tests/fixtures/hf/gpt2"));
        lwb::fuzz::scratch().write("bundle/.keep", "");
        writeWeights(*loaded);
        loaded->eval();
        return loaded;
    }();
    lwb::fuzz::scratch().write(std::string("bundle/") + lwb::kSiraManifestFile, lwb::fuzz::bytesOf(data, size));
    lwb::SiraBundleSummary summary;
    try {
        summary = lwb::importSiraBundle(lwb::fuzz::scratch().path() + "/bundle", *model);
    } catch (const lwb::Error &) {
        return 0;
    }
    // Accepted settings must run (outside the try: any error here is a finding).
    torch::NoGradGuard noGrad;
    const auto logits = model->forward(torch::tensor({{1, 5, 9, 2}}, torch::kInt64));
    (void)logits.sum().item<float>();
    return 0;
}
