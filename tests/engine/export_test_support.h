// Shared by the export suites (test_peft_export, test_model_export): two
// small models shaped like tests/fixtures/peft, adapters that change the
// outputs, fixed inputs, and file helpers.
#pragma once

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/config/run_config.h"
#include "engine/export/run_export.h"

#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <set>

namespace lwb::test {

namespace fs = std::filesystem;

inline double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

// The shapes of tests/fixtures/peft (make_fixtures.py builds the same models in transformers).
inline lwb::RunConfig llamaConfig()
{
    lwb::RunConfig config;
    config.name = "llama-export";
    config.model = lwb::modelPreset("llama-tiny");
    config.model.hiddenSize = 32;
    config.model.numLayers = 2;
    config.model.numHeads = 4;
    config.model.numKvHeads = 2;
    config.model.intermediateSize = 48;
    config.model.maxPositions = 64;
    config.adapter.targets = lwb::linearLayerNames(lwb::Architecture::Llama);
    config.adapter.rank = 4;
    config.adapter.alpha = 8;
    config.adapter.dropout = 0.05;
    return config;
}

inline lwb::RunConfig gpt2Config()
{
    lwb::RunConfig config;
    config.name = "gpt2-export";
    config.model = lwb::modelPreset("gpt2-tiny");
    config.model.hiddenSize = 32;
    config.model.numLayers = 2;
    config.model.numHeads = 4;
    config.model.numKvHeads = 4;
    config.model.intermediateSize = 128;
    config.model.maxPositions = 64;
    config.adapter.targets = lwb::linearLayerNames(lwb::Architecture::Gpt2);
    config.adapter.rank = 4;
    config.adapter.alpha = 16;
    config.adapter.dropout = 0.0;
    return config;
}

// A model with adapters whose B is not zero (a fresh LoRA adds nothing, which
// would make every round trip pass).
inline lwb::CausalLM adaptedModel(const lwb::RunConfig &config, std::uint64_t seed = 11)
{
    lwb::CausalLM model(config.model);
    torch::manual_seed(seed);
    lwb::attachAdapters(*model, config.adapter);
    torch::NoGradGuard noGrad;
    for (const auto &entry : lwb::adaptedLayers(*model)) {
        if (auto lora = std::dynamic_pointer_cast<lwb::LoraAdapterImpl>(entry.layer->adapter()))
            lora->loraB.normal_(0.0, 0.2);
        if (auto sira = std::dynamic_pointer_cast<lwb::SiraAdapterImpl>(entry.layer->adapter())) {
            sira->loraB.normal_(0.0, 0.2);
            sira->router.normal_(0.0, 1.0);
        }
    }
    model->eval();
    return model;
}

inline torch::Tensor logitsOf(lwb::CausalLMImpl &model)
{
    torch::NoGradGuard noGrad;
    model.eval();
    const auto ids
        = torch::tensor({{1, 72, 101, 108, 108, 111, 32, 9}, {5, 200, 17, 3, 99, 250, 258, 258}}, torch::kInt64);
    return model.forward(ids);
}

inline nlohmann::json readJson(const std::string &path)
{
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(file);
}

inline std::string fixtureDir(const std::string &name)
{
    return std::string(qgetenv("LWB_SOURCE_DIR").constData()) + "/tests/fixtures/peft/" + name;
}

inline lwb::RunExportRequest request(const QTemporaryDir &dir, const std::string &format, const std::string &name = "")
{
    lwb::RunExportRequest request;
    request.format = format;
    request.destination = dir.path().toStdString();
    request.name = name;
    return request;
}

// Every entry directly under a folder.
inline std::set<std::string> entries(const std::string &folder)
{
    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator(folder))
        names.insert(entry.path().filename().string());
    return names;
}

} // namespace lwb::test
