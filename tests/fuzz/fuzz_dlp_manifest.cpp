// Fuzzes DLP-LoRA bundle import (engine/export: importDlpBundle): the input
// is dlp_bundle.json, in a folder holding two task LoRAs (tasks/first,
// tasks/length: PEFT folders of rank 4 on c_attn of the tiny GPT-2 fixture,
// tests/fixtures/hf/gpt2, the base model) and plugin.safetensors for the
// plugin shape of corpus/dlp_manifest/reference.json. That reference
// manifest is also the seed, and importing it must succeed (checked once at
// start), so the fuzzer starts from a bundle that goes all the way through.
// The manifest's task folders, selection rule, granularity and plugin shape
// all come from the input; each way in must end as a model or an lwb::Error.
#include "engine/adapters/adapted_linear.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/dlp/dlp_model.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/export/dlp_bundle.h"
#include "engine/export/peft_format.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "fuzz_support.h"

#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

constexpr std::int64_t kRank = 4;

std::string bundleFolder()
{
    return lwb::fuzz::scratch().path() + "/bundle";
}

// A PEFT LoRA folder on every c_attn layer of the base model.
void writeTaskLora(lwb::CausalLMImpl &base, const std::string &relative, float value)
{
    lwb::PeftLoraConfig config;
    config.r = kRank;
    config.loraAlpha = 8.0;
    config.targetModules = {"c_attn"};
    config.fanInFanOut = true;
    lwb::fuzz::scratch().write("bundle/" + relative + "/" + lwb::kPeftConfigFile, lwb::peftConfigJson(config).dump(2));
    lwb::NamedTensors tensors;
    for (const auto &item : base.named_modules("", /*include_self=*/false)) {
        const auto linear = std::dynamic_pointer_cast<lwb::AdaptedLinearImpl>(item.value());
        if (!linear || item.key().find("c_attn") == std::string::npos)
            continue;
        tensors.emplace_back(lwb::peftTensorKey(item.key(), 'A'), torch::full({kRank, linear->inFeatures()}, value));
        tensors.emplace_back(lwb::peftTensorKey(item.key(), 'B'), torch::full({linear->outFeatures(), kRank}, -value));
    }
    lwb::writeSafetensors(bundleFolder() + "/" + relative + "/" + lwb::kPeftWeightsFile, tensors, {{"format", "pt"}});
}

lwb::RunConfig baseConfig()
{
    // Prompts must fit the fixture's 32 positions.
    const nlohmann::json document
        = {{"model", {{"path", lwb::fuzz::sourcePath("tests/fixtures/hf/gpt2")}}}, {"data", {{"seq_len", 24}}}};
    return lwb::parseRunConfig(document, "fuzz base config");
}

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The bundle folder of the reference manifest, and that manifest's text.
std::string prepareBundle(const lwb::RunConfig &base)
{
    const auto referencePath = lwb::fuzz::sourcePath("tests/fuzz/corpus/dlp_manifest/reference.json");
    const auto reference = lwb::readJsonFile(referencePath, "missing");
    auto model = lwb::loadHfCausalLM(base.model.path);
    writeTaskLora(*model, "tasks/first", 0.01f);
    writeTaskLora(*model, "tasks/length", -0.02f);

    // The plugin with the reference's shape, as DlpModel builds it.
    lwb::RunConfig config = base;
    config.adapter.variant = lwb::kDlpVariant;
    auto &plugin = config.adapter.dlp.plugin;
    plugin.embedding = reference["plugin"]["embedding"].get<std::string>();
    plugin.embeddingDim = reference["plugin"]["embedding_dim"].get<std::int64_t>();
    plugin.layers = reference["plugin"]["layers"].get<std::int64_t>();
    plugin.width = reference["plugin"]["width"].get<std::int64_t>();
    plugin.bigramBuckets = reference["plugin"]["bigram_buckets"].get<std::int64_t>();
    config.adapter.targets = {"c_attn"};
    lwb::TaskLoraLibrary library;
    for (const auto &task : reference["tasks"]) {
        const auto name = task["task"].get<std::string>();
        const auto folder = bundleFolder() + "/" + task["folder"].get<std::string>();
        config.adapter.dlp.library.push_back({name, folder});
        library.add(lwb::importPeftTaskLora(name, folder, config.model));
    }
    lwb::DlpModel study(config, std::move(library));
    lwb::NamedTensors tensors;
    for (const auto &item : study.plugin()->named_parameters())
        tensors.emplace_back(item.key(), item.value().detach().clone());
    for (const auto &item : study.plugin()->named_buffers())
        tensors.emplace_back(item.key(), item.value().detach().clone());
    lwb::writeSafetensors(bundleFolder() + "/" + lwb::kDlpPluginFile, tensors);

    const auto text = readText(referencePath);
    lwb::fuzz::scratch().write(std::string("bundle/") + lwb::kDlpManifestFile, text);
    (void)lwb::importDlpBundle(bundleFolder(), base); // the seed must import (throws otherwise)
    return text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const lwb::RunConfig base = baseConfig();
    static const std::string reference = prepareBundle(base);
    lwb::fuzz::scratch().write(std::string("bundle/") + lwb::kDlpManifestFile, lwb::fuzz::bytesOf(data, size));
    try {
        const auto model = lwb::importDlpBundle(bundleFolder(), base);
        (void)model->library().size();
    } catch (const lwb::Error &) {
    }
    return 0;
}
