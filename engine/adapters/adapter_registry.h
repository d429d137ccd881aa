// The adapter registry: which variants exist and how one is attached to a
// model.
//
// attachAdapters() freezes every base parameter, then gives each AdaptedLinear
// whose leaf name is a target a fresh adapter of the configured variant. A
// variant registers either one factory, which receives the layer's site
// (path, block index, shape, the layer itself), or a factory maker, called
// once per attachAdapters() with every site that gets an adapter: variants
// that link the blocks of successive layers (ResLoRA) plan their chains there
// and return the per-site factory that builds each linked block. Variant
// "full" attaches nothing and freezes nothing: the base itself trains.
//
// What each variant is (a study, merged evaluation, routing figures, export
// formats, form fields) is its VariantTraits (variant_traits.h): callers ask
// those instead of comparing names.
#pragma once

#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/variant_traits.h"
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
    std::weak_ptr<AdaptedLinearImpl> linear; // the frozen layer (ResLoRA's merge_bw reads its weight)
};

using AdapterFactory = std::function<std::shared_ptr<AdapterImpl>(const AdapterSite &, const AdapterConfig &)>;
// sites: every layer that gets an adapter in this attach, in module order.
using AdapterFactoryMaker = std::function<AdapterFactory(const std::vector<AdapterSite> &sites, const AdapterConfig &)>;

// The variants with an adapter factory (every variant: variantNames()).
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
