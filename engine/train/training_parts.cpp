// See training_parts.h.
#include "engine/train/training_parts.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/core/error.h"
#include "engine/data/data_source.h"
#include "engine/export/peft_import.h"
#include "engine/model/base_model.h"

namespace lwb {

namespace {

// Trainable weights are AdamW's master weights: float32 in every precision
// (variant "full" trains base weights, which a bf16 base loaded as bf16).
void keepTrainableInFloat32(CausalLMImpl &model)
{
    torch::NoGradGuard noGrad;
    for (auto &parameter : model.parameters()) {
        if (parameter.requires_grad() && parameter.scalar_type() != torch::kFloat32)
            parameter.set_data(parameter.to(torch::kFloat32));
    }
}

// Checkpointing runs each block twice; every adapter must allow it.
void enableGradientCheckpointing(CausalLMImpl &model, const std::string &variant)
{
    for (const auto &entry : adaptedLayers(model)) {
        if (!entry.layer->adapter()->recomputable())
            throw Error(
                "training.gradient_checkpointing",
                "adapter.variant \"" + variant
                    + "\" cannot be recomputed in backward (its layers keep "
                      "per-forward routing statistics, an auxiliary loss or links to other layers' activations, "
                      "at "
                    + entry.site.path + "); train it with gradient_checkpointing false");
    }
    model.setGradientCheckpointing(true);
}

} // namespace

TrainingParts buildTrainingParts(const RunConfig &config, const torch::Device &device, Precision precision)
{
    checkInitFromFolder(config.adapter, config.name);
    TrainingParts parts;
    parts.model = buildBaseModel(config.model, baseDtype(precision));
    torch::manual_seed(config.seed); // adapter initialisation
    attachAdapters(*parts.model, config.adapter);
    if (!config.adapter.initFrom.empty())
        loadPeftWeights(config.adapter.initFrom, *parts.model); // a resumed run overwrites them
    keepTrainableInFloat32(*parts.model);
    if (config.training.gradientCheckpointing)
        enableGradientCheckpointing(*parts.model, config.adapter.variant);
    parts.model->to(device);

    for (const auto &item : trainableParameters(*parts.model))
        parts.parameters.push_back(item.second);
    torch::optim::AdamWOptions options(config.training.lr);
    options.betas({config.training.beta1, config.training.beta2});
    options.eps(config.training.eps);
    options.weight_decay(config.training.weightDecay);
    parts.optimizer = std::make_unique<torch::optim::AdamW>(parts.parameters, options);

    parts.data = makeTaskData(config.data, config.seed, SequenceFormat::forModel(config.model));
    return parts;
}

} // namespace lwb
