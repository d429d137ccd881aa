// Benchmark: inference with a merged ResLoRA against inference with plain
// LoRA. Prints figures; asserts nothing.
//
//   bench_reslora_inference [REPEATS] [THREADS]
//
// The shipped presets (resources/configs/reslora_default.json and
// lora_default.json: same model, targets, r and alpha), the same evaluation
// batches, forward passes without gradients, measured in the same process
// and interleaved batch by batch (LoRA, ResLoRA, LoRA, ...) so that drift
// and other processes hit both alike; reported: the median time of one
// batch's forward over REPEATS rounds of all batches. Rows:
//   adapter form   the adapter kept beside the frozen weight (what a PEFT
//                  adapter does at inference): LoRA vs ResLoRA merged into
//                  plain LoRA factors (MergedResLoraSwap)
//   weight form    the adapter merged into the weight (AdaptedLinear::merge)
//   training form  ResLoRA unmerged, with its shortcuts (for reference)
// The goal is merged ResLoRA / LoRA = 1.00. A merged bs block is a
// LoRA of rank (m+1) r, so its adapter form is printed too.
#include "bench_support.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/reslora_merge.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/data/batch_builder.h"
#include "engine/model/base_model.h"
#include "engine/model/causal_lm.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

namespace {

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

lwb::CausalLM buildModel(const lwb::RunConfig &config)
{
    torch::manual_seed(config.seed);
    lwb::CausalLM model = lwb::buildBaseModel(config.model);
    lwb::attachAdapters(*model, config.adapter);
    lwb::bench::giveLoraTrainedValues(*model);
    model->eval();
    return model;
}

double forwardSeconds(lwb::CausalLMImpl &model, const lwb::Batch &batch)
{
    torch::NoGradGuard noGrad;
    const double start = seconds();
    model.forward(batch.inputIds, batch.tokenMask);
    return seconds() - start;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Times every model on every batch, `repeats` rounds, interleaved; returns
// the median seconds per batch of each model.
std::vector<double> race(const std::vector<lwb::CausalLMImpl *> &models, const std::vector<lwb::Batch> &batches,
                         std::int64_t repeats)
{
    std::vector<std::vector<double>> times(models.size());
    for (auto *model : models)
        forwardSeconds(*model, batches.front()); // warm-up
    for (std::int64_t r = 0; r < repeats; ++r) {
        for (const auto &batch : batches) {
            for (std::size_t i = 0; i < models.size(); ++i)
                times[i].push_back(forwardSeconds(*models[i], batch));
        }
    }
    std::vector<double> medians;
    for (const auto &t : times)
        medians.push_back(median(t));
    return medians;
}

} // namespace

int main(int argc, char **argv)
{
    const std::int64_t repeats = argc > 1 ? std::stoll(argv[1]) : 15;
    const int threads = lwb::configureThreads(argc > 2 ? std::stoi(argv[2]) : 0);
    const auto lora = lwb::loadRunConfig(LWB_CONFIG_DIR "/lora_default.json");
    auto reslora = lwb::loadRunConfig(LWB_CONFIG_DIR "/reslora_default.json");
    lwb::TaskData data(lwb::SequenceFormat::forModel(lora.model), lora.data.tasks, lora.seed, lora.data.seqLen, 256);
    const auto batches = data.evalBatches(lora.eval.batchSize);
    std::printf("%s\n%lld repeats (median), %d threads, model %s, %zu eval batches of %lld\n",
                lwb::versionLine("bench_reslora_inference").c_str(), static_cast<long long>(repeats), threads,
                lwb::bench::baseName(lora.model).c_str(), batches.size(), static_cast<long long>(lora.eval.batchSize));
    std::printf("LoRA r=%lld alpha %.0f; ResLoRA %s, pre_num %lld, merge %s\n",
                static_cast<long long>(lora.adapter.rank), lora.adapter.alpha, reslora.adapter.reslora.variant.c_str(),
                static_cast<long long>(reslora.adapter.reslora.preNum), reslora.adapter.reslora.merge.c_str());

    auto loraModel = buildModel(lora);
    auto resloraModel = buildModel(reslora);
    auto bsConfig = reslora;
    bsConfig.adapter.reslora.variant = "bs";
    auto bsModel = buildModel(bsConfig);

    {
        // Adapter form and training form.
        auto merged = std::make_unique<lwb::MergedResLoraSwap>(*resloraModel);
        auto bsMerged = std::make_unique<lwb::MergedResLoraSwap>(*bsModel);
        const auto t = race({loraModel.get(), resloraModel.get(), bsModel.get()}, batches, repeats);
        std::printf("  adapter form   LoRA %7.2f ms/batch   merged ResLoRA %7.2f ms/batch   ratio %.3f  (goal 1.00)\n",
                    t[0] * 1e3, t[1] * 1e3, t[1] / t[0]);
        std::printf("                 merged bs, rank (m+1) r: %7.2f ms/batch   ratio %.3f\n", t[2] * 1e3, t[2] / t[0]);
    }
    {
        const auto t = race({loraModel.get(), resloraModel.get()}, batches, repeats);
        std::printf("  training form  LoRA %7.2f ms/batch   ResLoRA unmerged %7.2f ms/batch   ratio %.3f\n", t[0] * 1e3,
                    t[1] * 1e3, t[1] / t[0]);
    }
    {
        // Weight form: both merged into the frozen weights.
        for (auto entry : lwb::adaptedLayers(*loraModel))
            entry.layer->merge();
        for (auto entry : lwb::adaptedLayers(*resloraModel))
            entry.layer->merge();
        const auto t = race({loraModel.get(), resloraModel.get()}, batches, repeats);
        std::printf("  weight form    LoRA %7.2f ms/batch   merged ResLoRA %7.2f ms/batch   ratio %.3f  (goal 1.00)\n",
                    t[0] * 1e3, t[1] * 1e3, t[1] / t[0]);
    }
    return 0;
}
