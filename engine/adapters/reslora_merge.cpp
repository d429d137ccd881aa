// See reslora_merge.h.
#include "engine/adapters/reslora_merge.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/adapters/reslora_adapter.h"
#include "engine/core/error.h"

#include <optional>

namespace lwb {

namespace {

double ratio(double numerator, double denominator)
{
    return numerator > 0.0 && denominator > 0.0 ? numerator / denominator : 1.0;
}

// One merge of one chain, memoising f*_j and the merged blocks: with merged
// layers, f*_j needs block j's own merged delta, which needs f* of its
// predecessors.
class ChainMerger
{
public:
    explicit ChainMerger(const ResLoraChain &chain)
        : chain_(chain)
        , fStar_(static_cast<std::size_t>(chain.size()))
        , merged_(static_cast<std::size_t>(chain.size()))
    {
    }

    ResLoraMergeCoefficients coefficients(std::int64_t n)
    {
        const auto &block = chain_.adapter(n);
        const auto &config = block.config();
        ResLoraMergeCoefficients out;
        if (config.variant == "bs")
            return out;
        const auto earlier = block.shortcutBlocks();
        const bool flag3 = config.merge == "merge_bi"; // else merge_bw, the official merge_flag 4
        if (config.variant == "is") {
            // flag 3: f*_{n-2} / f*_{n-1} (merged-weight norms); flag 4: f_{n-1} / f_n (input norms).
            out.alpha = flag3 ? stepRatio(n)
                        : earlier.empty()
                            ? 1.0
                            : ratio(chain_.adapter(earlier.front()).meanInputNorm(), block.meanInputNorm());
            return out;
        }
        // ms, flag 3: c_k = f_{n-k} / f_n (input norms), folded into A;
        // flag 4: alpha = sum_k g_{n-k} / g_n (norms of A d(x)).
        for (const auto k : earlier) {
            const auto &other = chain_.adapter(k);
            out.earlier.push_back(flag3 ? ratio(other.meanInputNorm(), block.meanInputNorm())
                                        : ratio(other.meanHiddenNorm(), block.meanHiddenNorm()));
        }
        for (const double c : out.earlier)
            out.alpha += c;
        return out;
    }

    MergedLora merged(std::int64_t n)
    {
        auto &memo = merged_[static_cast<std::size_t>(n)];
        if (memo)
            return *memo;
        torch::NoGradGuard noGrad;
        const auto &block = chain_.adapter(n);
        const auto &config = block.config();
        MergedLora out;
        out.scale = block.scale();
        const auto earlier = block.shortcutBlocks();
        if (config.variant == "bs") {
            std::vector<torch::Tensor> as{block.loraA}, bs{block.loraB};
            for (const auto k : earlier) {
                as.push_back(chain_.adapter(k).loraA);
                bs.push_back(chain_.adapter(k).loraB);
            }
            out.loraA = torch::cat(as, 0).detach().clone();
            out.loraB = torch::cat(bs, 1).detach().clone();
        } else {
            const auto c = coefficients(n);
            if (config.variant == "ms" && config.merge == "merge_bi") {
                auto a = block.loraA.detach().clone();
                for (std::size_t i = 0; i < earlier.size(); ++i)
                    a = a + c.earlier[i] * chain_.adapter(earlier[i]).loraA.detach();
                out.loraA = a;
                out.loraB = block.loraB.detach().clone();
            } else {
                out.loraA = block.loraA.detach().clone();
                out.loraB = block.loraB.detach() * (1.0 + c.alpha);
            }
        }
        memo = out;
        return out;
    }

private:
    // r_j = f*_{p2(j)} / f*_{p1(j)}, 1 with fewer than two linked predecessors.
    double stepRatio(std::int64_t j)
    {
        const auto before = chain_.predecessors(j, 2);
        return before.size() < 2 ? 1.0 : ratio(fStar(before[1]), fStar(before[0]));
    }

    double fStar(std::int64_t j)
    {
        auto &memo = fStar_[static_cast<std::size_t>(j)];
        if (memo)
            return *memo;
        torch::NoGradGuard noGrad;
        const auto linear = chain_.linear(j);
        if (!linear)
            throw Error(chain_.plan().paths[static_cast<std::size_t>(j)],
                        "is merge \"merge_bi\" reads this block's frozen weight, but the layer no longer exists");
        const auto &block = chain_.adapter(j);
        auto weight = linear->weight.detach().to(torch::kFloat64);
        if (linear->merged() && linear->adapter().get() == &block) {
            const auto own = merged(j);
            weight = weight - own.scale * torch::matmul(own.loraB, own.loraA).to(torch::kFloat64);
        }
        const auto a = block.loraA.detach().to(torch::kFloat64), b = block.loraB.detach().to(torch::kFloat64);
        memo = (weight + block.scale() * torch::matmul(b, a)).norm().item<double>();
        return *memo;
    }

    const ResLoraChain &chain_;
    std::vector<std::optional<double>> fStar_;
    std::vector<std::optional<MergedLora>> merged_;
};

} // namespace

ResLoraMergeCoefficients resLoraMergeCoefficients(const ResLoraChain &chain, std::int64_t position)
{
    return ChainMerger(chain).coefficients(position);
}

MergedLora mergeResLoraBlock(const ResLoraChain &chain, std::int64_t position)
{
    return ChainMerger(chain).merged(position);
}

std::vector<MergedLoraLayer> mergedResLoraLayers(torch::nn::Module &model)
{
    std::vector<MergedLoraLayer> layers;
    for (const auto &entry : adaptedLayers(model)) {
        const auto reslora = std::dynamic_pointer_cast<ResLoraAdapterImpl>(entry.layer->adapter());
        if (reslora)
            layers.push_back({entry.site.path, mergeResLoraBlock(reslora->chain(), reslora->position())});
    }
    return layers;
}

MergedResLoraSwap::MergedResLoraSwap(torch::nn::Module &model)
{
    // Every merge first, then the swaps: merging reads the other blocks of
    // each chain, which must still be in place.
    std::vector<std::pair<AdaptedLayer, MergedLora>> plans;
    for (const auto &entry : adaptedLayers(model)) {
        const auto reslora = std::dynamic_pointer_cast<ResLoraAdapterImpl>(entry.layer->adapter());
        if (reslora)
            plans.emplace_back(entry, mergeResLoraBlock(reslora->chain(), reslora->position()));
    }
    for (auto &[entry, merged] : plans) {
        LoraOptions options;
        options.rank = merged.rank();
        options.alpha = merged.scale * static_cast<double>(merged.rank()); // scale = alpha / rank
        options.dropout = 0.0;
        auto lora = std::make_shared<LoraAdapterImpl>(entry.site.inFeatures, entry.site.outFeatures, options);
        {
            torch::NoGradGuard noGrad;
            lora->to(merged.loraA.device(), merged.loraA.scalar_type());
            lora->loraA.copy_(merged.loraA);
            lora->loraB.copy_(merged.loraB);
            lora->loraA.set_requires_grad(false);
            lora->loraB.set_requires_grad(false);
        }
        lora->train(entry.layer->is_training());
        saved_.emplace_back(entry.layer.ptr(), entry.layer->adapter());
        entry.layer->detach();
        entry.layer->attach(lora);
    }
}

MergedResLoraSwap::~MergedResLoraSwap()
{
    for (auto &[linear, adapter] : saved_) {
        linear->detach();
        linear->attach(adapter);
    }
}

} // namespace lwb
