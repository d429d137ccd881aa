// See adapter_registry.h.
#include "engine/adapters/adapter_registry.h"

#include "engine/adapters/lora_adapter.h"
#include "engine/adapters/reslora_adapter.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/core/error.h"

#include <algorithm>
#include <map>
#include <set>

namespace lwb {

namespace {

LoraOptions loraOptions(const AdapterConfig &config)
{
    LoraOptions options;
    options.rank = config.rank;
    options.alpha = config.alpha;
    options.dropout = config.dropout;
    options.rslora = config.rslora;
    return options;
}

const std::map<std::string, AdapterFactory> &factories()
{
    static const std::map<std::string, AdapterFactory> kFactories = {
        {"lora",
         [](const AdapterSite &site, const AdapterConfig &config) -> std::shared_ptr<AdapterImpl> {
             return std::make_shared<LoraAdapterImpl>(site.inFeatures, site.outFeatures, loraOptions(config));
         }},
    };
    return kFactories;
}

// Variants whose blocks depend on each other: one maker per attach.
const std::map<std::string, AdapterFactoryMaker> &factoryMakers()
{
    static const std::map<std::string, AdapterFactoryMaker> kMakers = {
        // SiRA's layers are independent; the maker only tells each how many
        // there are, for balance_reduction "sum".
        {"sira",
         [](const std::vector<AdapterSite> &sites, const AdapterConfig &) -> AdapterFactory {
             const auto layers = static_cast<std::int64_t>(sites.size());
             return [layers](const AdapterSite &site, const AdapterConfig &config) -> std::shared_ptr<AdapterImpl> {
                 auto adapter = std::make_shared<SiraAdapterImpl>(site.inFeatures, site.outFeatures,
                                                                  loraOptions(config), config.sira);
                 adapter->setBalanceLayers(layers);
                 return adapter;
             };
         }},
        {"reslora",
         [](const std::vector<AdapterSite> &sites, const AdapterConfig &config) {
             return makeResLoraFactory(sites, loraOptions(config), config.reslora);
         }},
    };
    return kMakers;
}

// "transformer.h.3.attn.c_attn" -> 3; "model.layers.12.mlp.up_proj" -> 12.
std::int64_t blockIndex(const std::string &path)
{
    for (const char *marker : {".h.", ".layers."}) {
        const auto at = path.find(marker);
        if (at != std::string::npos) {
            const auto start = at + std::char_traits<char>::length(marker);
            const auto end = path.find('.', start);
            try {
                return std::stoll(path.substr(start, end - start));
            } catch (const std::exception &) {
                return -1;
            }
        }
    }
    return -1;
}

std::string leafName(const std::string &path)
{
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::vector<AdaptedLayer> linearLayers(torch::nn::Module &model)
{
    std::vector<AdaptedLayer> layers;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        auto linear = std::dynamic_pointer_cast<AdaptedLinearImpl>(item.value());
        if (!linear)
            continue;
        AdapterSite site{item.key(),           leafName(item.key()),  blockIndex(item.key()),
                         linear->inFeatures(), linear->outFeatures(), linear};
        layers.push_back({std::move(site), AdaptedLinear(linear)});
    }
    return layers;
}

} // namespace

std::vector<std::string> adapterVariantNames()
{
    std::vector<std::string> names;
    for (const auto &entry : factories())
        names.push_back(entry.first);
    for (const auto &entry : factoryMakers())
        names.push_back(entry.first);
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<AdaptedLayer> attachAdapters(torch::nn::Module &model, const AdapterConfig &config)
{
    if (!variantTraitsOf(config.variant).attachesAdapters)
        return {}; // every base parameter keeps requires_grad and trains
    const auto found = factories().find(config.variant);
    const auto foundMaker = factoryMakers().find(config.variant);
    if (found == factories().end() && foundMaker == factoryMakers().end())
        throw Error("adapter.variant", "unknown adapter variant \"" + config.variant + "\"");

    for (auto &parameter : model.parameters())
        parameter.set_requires_grad(false);

    std::vector<AdaptedLayer> attached;
    std::set<std::string> matched;
    for (const auto &entry : linearLayers(model)) {
        const auto &targets = config.targets;
        if (std::find(targets.begin(), targets.end(), entry.site.leafName) == targets.end())
            continue;
        matched.insert(entry.site.leafName);
        attached.push_back(entry);
    }
    std::vector<AdapterSite> sites;
    sites.reserve(attached.size());
    for (const auto &entry : attached)
        sites.push_back(entry.site);
    const AdapterFactory factory = found != factories().end() ? found->second : foundMaker->second(sites, config);
    for (auto &entry : attached)
        entry.layer->attach(factory(entry.site, config));
    for (const auto &target : config.targets) {
        if (!matched.count(target))
            throw Error("adapter.targets", "\"" + target + "\" matches no linear layer of the model");
    }
    // Only adapter parameters train; a fresh adapter's parameters require grad by default.
    return attached;
}

std::vector<AdaptedLayer> adaptedLayers(torch::nn::Module &model)
{
    std::vector<AdaptedLayer> layers;
    for (auto &entry : linearLayers(model)) {
        if (entry.layer->adapter())
            layers.push_back(std::move(entry));
    }
    return layers;
}

std::vector<std::pair<std::string, torch::Tensor>> trainableParameters(torch::nn::Module &model)
{
    std::vector<std::pair<std::string, torch::Tensor>> trainable;
    for (const auto &item : model.named_parameters()) {
        if (item.value().requires_grad())
            trainable.emplace_back(item.key(), item.value());
    }
    return trainable;
}

} // namespace lwb
