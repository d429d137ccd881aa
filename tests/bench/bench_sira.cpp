// Benchmark: what SiRA's mixture costs over plain LoRA. Prints figures;
// asserts nothing.
//
//   bench_sira [STEPS] [THREADS]     (THREADS 0 or absent: the machine's)
//
// One training step (forward, loss + balance loss, backward, AdamW, routing
// statistics) on the built-in model with the shipped LoRA and SiRA (E=8, k=2)
// presets, same batches, same thread count, measured in the same process:
//   LoRA                 the baseline
//   SiRA expert blocks   the engine's form on the CPU: each expert's tokens
//                        gathered and put through its LoRA by BLAS, one node
//   SiRA dense mixture   the engine's form on other devices: all experts in
//                        two matmuls, unselected ones gated to zero
//   SiRA per-expert loop the naive alternative in torch ops: gather each
//                        expert's tokens and run its LoRA on them
// first as the mean of STEPS consecutive steps per variant, then (for LoRA and
// the two SiRA forms) interleaved: windows of 5 steps take turns, and each
// variant keeps its fastest window. On a shared machine the second is the
// steadier figure: all variants see the same load, and a window that another
// process slowed down is not counted. The goal is SiRA / LoRA <= 1.25.
#include "bench_support.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/adapters/sira_mixture.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/data/batch_builder.h"
#include "engine/model/base_model.h"
#include "engine/model/causal_lm.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

namespace {

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// How a SiRA layer computes its experts' product.
enum class Mixture {
    Engine,       // what the engine runs here: the expert blocks on the CPU
    Dense,        // all experts in two matmuls, unselected ones gated to 0 (the GPU form)
    PerExpertLoop // a loop over experts, each on the tokens it serves
};

// The two forms the engine does not pick on this device.
class SiraVariantImpl : public lwb::SiraAdapterImpl
{
public:
    SiraVariantImpl(std::int64_t in, std::int64_t out, const lwb::LoraOptions &lora, const lwb::SiraConfig &sira,
                    Mixture mixture)
        : SiraAdapterImpl(in, out, lora, sira)
        , mixture_(mixture)
    {
    }

protected:
    torch::Tensor mixExperts(const torch::Tensor &x, const lwb::SiraRouting &routing) override
    {
        const auto &gates = routing.expertGates;
        if (mixture_ == Mixture::Dense)
            return lwb::mixLoraExperts(x, loraA, loraB, gates, scale());
        // The loop a straightforward implementation writes: for each expert,
        // the tokens whose gate for it is non-zero, their LoRA, added back by index.
        auto out = torch::zeros({x.size(0), loraB.size(1)}, x.options());
        for (std::int64_t e = 0; e < loraA.size(0); ++e) {
            const auto rows = gates.select(1, e).nonzero().squeeze(1);
            if (rows.numel() == 0)
                continue;
            const auto gate = gates.index_select(0, rows).select(1, e).unsqueeze(1);
            const auto expert = torch::matmul(torch::matmul(x.index_select(0, rows), loraA[e].t()), loraB[e].t());
            out = out.index_add(0, rows, expert * gate * scale());
        }
        return out;
    }

private:
    Mixture mixture_;
};

// A model with its adapters, optimizer and data, stepping on demand.
class StepRunner
{
public:
    StepRunner(const lwb::RunConfig &config, Mixture mixture)
        : config_(config)
    {
        torch::manual_seed(config.seed);
        model_ = lwb::buildBaseModel(config.model);
        layers_ = lwb::attachAdapters(*model_, config.adapter);
        if (mixture != Mixture::Engine) {
            torch::manual_seed(config.seed);
            lwb::LoraOptions lora;
            lora.rank = config.adapter.rank;
            lora.alpha = config.adapter.alpha;
            lora.dropout = config.adapter.dropout;
            for (auto &entry : layers_) {
                entry.layer->detach();
                entry.layer->attach(std::make_shared<SiraVariantImpl>(entry.site.inFeatures, entry.site.outFeatures,
                                                                      lora, config.adapter.sira, mixture));
            }
        }
        std::vector<torch::Tensor> parameters;
        for (const auto &item : lwb::trainableParameters(*model_))
            parameters.push_back(item.second);
        optimizer_ = std::make_unique<torch::optim::AdamW>(parameters, torch::optim::AdamWOptions(config.training.lr));
        data_ = std::make_unique<lwb::TaskData>(lwb::SequenceFormat::forModel(config.model), config.data.tasks,
                                                config.seed, config.data.seqLen, 0);
        model_->train();
    }

    void step()
    {
        const auto batch = data_->trainBatch(step_++, config_.training.batchSize);
        optimizer_->zero_grad();
        const auto logits = model_->forward(batch.inputIds, batch.tokenMask);
        auto loss = torch::nn::functional::cross_entropy(
            logits.reshape({-1, logits.size(-1)}), batch.labels.reshape({-1}),
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(lwb::kIgnoreLabel));
        torch::Tensor aux;
        for (const auto &entry : layers_) {
            const auto layerAux = entry.layer->adapter()->auxLoss();
            if (layerAux.defined())
                aux = aux.defined() ? aux + layerAux : layerAux;
        }
        if (aux.defined())
            loss = loss + aux / static_cast<double>(layers_.size());
        loss.backward();
        optimizer_->step();
        lwb::AdapterStats stats;
        for (const auto &entry : layers_)
            entry.layer->adapter()->takeStats(entry.site.path, stats);
    }

    // Seconds per step over `steps` steps.
    double time(std::int64_t steps)
    {
        const double start = seconds();
        for (std::int64_t i = 0; i < steps; ++i)
            step();
        return (seconds() - start) / static_cast<double>(steps);
    }

private:
    lwb::RunConfig config_;
    lwb::CausalLM model_{nullptr};
    std::vector<lwb::AdaptedLayer> layers_;
    std::unique_ptr<torch::optim::AdamW> optimizer_;
    std::unique_ptr<lwb::TaskData> data_;
    std::int64_t step_ = 0;
};

constexpr std::int64_t kWarmupSteps = 3;

// Seconds per training step, after warm-up.
double stepSeconds(const lwb::RunConfig &config, Mixture mixture, std::int64_t steps)
{
    StepRunner runner(config, mixture);
    runner.time(kWarmupSteps);
    return runner.time(steps);
}

// Fastest 5-step window of each variant, the variants taking turns window by
// window.
std::vector<double> interleavedBest(const std::vector<std::pair<lwb::RunConfig, Mixture>> &variants,
                                    std::int64_t windows)
{
    constexpr std::int64_t kWindow = 5;
    std::vector<std::unique_ptr<StepRunner>> runners;
    for (const auto &[config, mixture] : variants) {
        runners.push_back(std::make_unique<StepRunner>(config, mixture));
        runners.back()->time(kWarmupSteps);
    }
    std::vector<double> best(runners.size(), 1e300);
    for (std::int64_t w = 0; w < windows; ++w) {
        for (std::size_t i = 0; i < runners.size(); ++i)
            best[i] = std::min(best[i], runners[i]->time(kWindow));
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    const std::int64_t steps = argc > 1 ? std::stoll(argv[1]) : 40;
    const int threads = lwb::configureThreads(argc > 2 ? std::stoi(argv[2]) : 0);
    const auto lora = lwb::loadRunConfig(LWB_CONFIG_DIR "/lora_default.json");
    const auto sira = lwb::loadRunConfig(LWB_CONFIG_DIR "/sira_default.json");
    std::printf("%s\n%lld timed steps each, %d threads, model %s, batch %lld\n", lwb::versionLine("bench_sira").c_str(),
                static_cast<long long>(steps), threads, lwb::bench::baseName(lora.model).c_str(),
                static_cast<long long>(lora.training.batchSize));
    std::printf("SiRA: E=%lld k=%lld r=%lld per expert, capacity factor %.2f; LoRA r=%lld\n",
                static_cast<long long>(sira.adapter.sira.experts), static_cast<long long>(sira.adapter.sira.topK),
                static_cast<long long>(sira.adapter.rank), sira.adapter.sira.capacityFactor,
                static_cast<long long>(lora.adapter.rank));
    stepSeconds(lora, Mixture::Engine, 5); // the process's first steps (threads, heap) are slow: not timed
    const double loraStep = stepSeconds(lora, Mixture::Engine, steps);
    const double engine = stepSeconds(sira, Mixture::Engine, steps);
    const double dense = stepSeconds(sira, Mixture::Dense, steps);
    const double perExpert = stepSeconds(sira, Mixture::PerExpertLoop, steps);
    std::printf("  %-24s %8.2f ms/step  ratio %.3f\n", "LoRA (baseline)", loraStep * 1e3, 1.0);
    std::printf("  %-24s %8.2f ms/step  ratio %.3f  (goal <= 1.25)\n", "SiRA expert blocks", engine * 1e3,
                engine / loraStep);
    std::printf("  %-24s %8.2f ms/step  ratio %.3f\n", "SiRA dense mixture", dense * 1e3, dense / loraStep);
    std::printf("  %-24s %8.2f ms/step  ratio %.3f\n", "SiRA per-expert loop", perExpert * 1e3, perExpert / loraStep);
    const auto windows = std::max<std::int64_t>(steps / 2, 4);
    const auto best
        = interleavedBest({{lora, Mixture::Engine}, {sira, Mixture::Engine}, {sira, Mixture::Dense}}, windows);
    std::printf("Interleaved, fastest of %lld 5-step windows each:\n", static_cast<long long>(windows));
    std::printf("  %-24s %8.2f ms/step  ratio %.3f\n", "LoRA (baseline)", best[0] * 1e3, 1.0);
    std::printf("  %-24s %8.2f ms/step  ratio %.3f  (goal <= 1.25)\n", "SiRA expert blocks", best[1] * 1e3,
                best[1] / best[0]);
    std::printf("  %-24s %8.2f ms/step  ratio %.3f\n", "SiRA dense mixture", best[2] * 1e3, best[2] / best[0]);
    return 0;
}
