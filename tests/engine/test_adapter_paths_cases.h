// The adapter paths the harness (test_adapter_paths.cpp) runs: each builds
// the same tiny Llama with the same weights in any base dtype, with the
// tensors whose gradients are compared.
//
// The base is llama-tiny's shape at Hugging Face's initializer range 0.02,
// not the preset's 0.25: at 0.25 the attention scores have a standard
// deviation near 8, the softmax turns a score's relative rounding into an
// absolute one ~8x larger, and the model is so ill-conditioned that merely
// storing its float64 weights in bf16 moves the logits by NMSE 1e-3 and the
// gradients by up to 0.35 (measured 2026-12-08): no tolerance could pass a
// correct bf16 path there and still catch a wrong one.
#pragma once

#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/config/run_config.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/model/base_model.h"

#include <functional>
#include <string>
#include <vector>

namespace adapter_paths {

struct BuiltCase
{
    lwb::CausalLM model;
    std::vector<torch::Tensor> gradTensors; // trainable parameters, or DLP's fusion weights
};

struct PathCase
{
    std::string name;
    std::function<BuiltCase(torch::ScalarType baseDtype)> build;
};

inline lwb::ModelConfig harnessBase()
{
    auto config = lwb::modelPreset("llama-tiny");
    config.initializerRange = 0.02; // see the opening comment
    return config;
}

inline lwb::AdapterConfig plainLora()
{
    lwb::AdapterConfig lora;
    lora.rank = 4;
    lora.alpha = 8;
    lora.dropout = 0.0; // dropout draws differ between devices; the maths is what is compared
    lora.targets = lwb::linearLayerNames(lwb::Architecture::Llama);
    return lora;
}

// The base from the config's init seed, the adapters from a fixed seed, then
// every trainable value redrawn so that no factor is zero (B = 0 at init
// would zero A's gradient).
inline lwb::CausalLM attachedModel(const lwb::AdapterConfig &adapter, torch::ScalarType baseDtype,
                                   std::uint64_t seed = 18)
{
    auto model = lwb::buildBaseModel(harnessBase(), baseDtype);
    torch::manual_seed(17);
    lwb::attachAdapters(*model, adapter);
    torch::NoGradGuard noGrad;
    torch::manual_seed(seed);
    for (auto &[name, parameter] : lwb::trainableParameters(*model))
        parameter.normal_(0.0, 0.1);
    model->train();
    return model;
}

inline BuiltCase withTrainableGrads(lwb::CausalLM model)
{
    std::vector<torch::Tensor> grads;
    for (auto &[name, parameter] : lwb::trainableParameters(*model))
        grads.push_back(parameter);
    return {std::move(model), std::move(grads)};
}

// DLP-LoRA's fused library: three task LoRAs (float32, as a library holds
// them) on a frozen base, weights [2 sequences, 3 LoRAs] that require grad,
// so the fused adapter takes its stacked path over every LoRA and each
// weight gets a gradient (a study of the weights themselves).
inline BuiltCase dlpFusedCase(torch::ScalarType baseDtype)
{
    lwb::TaskLoraLibrary library;
    for (std::uint64_t task = 0; task < 3; ++task) {
        auto trained = attachedModel(plainLora(), torch::kFloat32, 30 + task);
        library.add(lwb::taskLoraFromModel("task" + std::to_string(task), *trained, plainLora()));
    }
    auto model = lwb::buildBaseModel(harnessBase(), baseDtype);
    const auto fused = lwb::attachFusedLibrary(*model, library);
    auto weights = torch::tensor({{0.7, 0.3, 0.0}, {0.1, 0.5, 0.4}}, torch::kFloat32).requires_grad_(true);
    lwb::setFusionWeights(fused, weights);
    model->train();
    return {std::move(model), {weights}};
}

inline std::vector<PathCase> adapterPaths()
{
    std::vector<PathCase> cases;
    const auto lora = plainLora();
    cases.push_back(
        {"lora", [lora](torch::ScalarType dtype) { return withTrainableGrads(attachedModel(lora, dtype)); }});

    // SiRA top-2 of 4: expert blocks on CPU fp32/fp64, the dense mixture for
    // bf16 and CUDA (sira_mixture.h). "sira-all" routes every token to all 4
    // experts: the same code, but routing without a discrete choice, so a
    // bf16 near-tie cannot pick other experts than the float64 reference.
    for (const std::int64_t topK : {2, 4}) {
        auto sira = lora;
        sira.variant = "sira";
        sira.sira.experts = 4;
        sira.sira.topK = topK;
        sira.sira.capacityFactor = 0.0; // no capacity limit: a near-tie must not drop a token
        sira.sira.expertDropout = 0.0;
        cases.push_back({topK == 4 ? "sira-all" : "sira",
                         [sira](torch::ScalarType dtype) { return withTrainableGrads(attachedModel(sira, dtype)); }});
    }

    for (const char *variant : {"is", "bs", "ms"}) {
        auto reslora = lora;
        reslora.variant = "reslora";
        reslora.reslora.variant = variant;
        cases.push_back({std::string("reslora-") + variant, [reslora](torch::ScalarType dtype) {
                             return withTrainableGrads(attachedModel(reslora, dtype));
                         }});
    }
    cases.push_back({"dlp-fused", dlpFusedCase});
    return cases;
}

// The experts every SiRA layer chose in the last forward, each token's set
// in ascending order (the order within a set does not change the output),
// concatenated (undefined without SiRA): equal when two runs routed alike.
inline torch::Tensor chosenExperts(torch::nn::Module &model)
{
    std::vector<torch::Tensor> chosen;
    for (const auto &module : model.modules(/*include_self=*/false)) {
        auto linear = std::dynamic_pointer_cast<lwb::AdaptedLinearImpl>(module);
        if (!linear)
            continue;
        if (auto sira = std::dynamic_pointer_cast<lwb::SiraAdapterImpl>(linear->adapter()))
            chosen.push_back(std::get<0>(sira->lastRouting().experts.to(torch::kCPU).sort(1)).flatten());
    }
    return chosen.empty() ? torch::Tensor() : torch::cat(chosen);
}

} // namespace adapter_paths
