// The adapter registry: which variants exist and how one is attached to a
// model.
//
// attachAdapters() freezes every base parameter, then gives each AdaptedLinear
// whose leaf name is a target a fresh adapter of the configured variant. A
// variant registers one factory; it receives the layer's site (path, block
// index, shape) so that variants linking blocks (ResLoRA) can see where they
// are.
#pragma once

#include "engine/adapters/adapted_linear.h"
#include "engine/config/run_config.h"

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

struct AdapterSite
{
    std::string path;        // "transformer.h.3.attn.c_attn"
    std::string leafName;    // "c_attn"
    std::int64_t block = -1; // transformer block index, -1 outside the blocks
    std::int64_t inFeatures = 0;
    std::int64_t outFeatures = 0;
};

using AdapterFactory = std::function<std::shared_ptr<AdapterImpl>(const AdapterSite &, const AdapterConfig &)>;

std::vector<std::string> adapterVariantNames();

struct AdaptedLayer
{
    AdapterSite site;
    AdaptedLinear layer;
};

// Throws lwb::Error when a target matches no layer.
std::vector<AdaptedLayer> attachAdapters(torch::nn::Module &model, const AdapterConfig &config);

// Every AdaptedLinear of the model that carries an adapter, in module order.
std::vector<AdaptedLayer> adaptedLayers(torch::nn::Module &model);

// The parameters that train (requires_grad), by name.
std::vector<std::pair<std::string, torch::Tensor>> trainableParameters(torch::nn::Module &model);

} // namespace lwb
