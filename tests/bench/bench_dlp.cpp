// Benchmark: what DLP-LoRA's fusion costs over one LoRA at inference. Prints
// figures; asserts nothing.
//
//   bench_dlp [REPEATS] [THREADS]      (THREADS 0 = the engine default: one per core)
//
// The built-in model (gpt2-tiny, LoRA r=8 on c_attn, c_proj, c_fc), eval
// mode, no gradients, one forward pass over a batch of 16 sequences of 48
// tokens (what every step of greedy decoding without a KV cache runs), same
// thread count, measured in the same process:
//   single LoRA        the baseline: one task LoRA attached as a plain LoRA
//   fused, mixed batch N task LoRAs; each sequence fuses its own task's LoRA
//                      (0.8) and a neighbour's (0.2), the tasks spread over
//                      the batch so that every LoRA is used by some sequence
//                      (the worst case for the fused pass), on the path the
//                      adapter picks (auto), and forced to the stacked path
//   fused, one task    every sequence selects the same LoRA (weight 1): the
//                      unused LoRAs are left out of both matmuls
//   plugin             the ~5M-parameter plugin reading the 16 prompts (once
//                      per input; per sentence it runs again at each start)
// for N = 2, 4, 8. Each fused figure is timed alternately with the single
// LoRA, call by call, and each ratio is of the medians of that pairing, so
// load from other processes on a shared machine falls on both alike. The goal: fused / single <= 1.2 (the
// paper: < 2).
#include "bench_support.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/dlp/dlp_router.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/model/base_model.h"
#include "engine/model/causal_lm.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

constexpr std::int64_t kBatch = 16, kLength = 48;

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Median seconds of each of two calls, measured alternately (a, b, a, b, ...)
// after one warm-up each, so that load from other processes falls on both
// alike and their ratio stays meaningful on a shared machine.
template <typename A, typename B> std::pair<double, double> alternateMedians(std::int64_t repeats, A &&a, B &&b)
{
    a();
    b();
    std::vector<double> first, second;
    for (std::int64_t i = 0; i < repeats; ++i) {
        double start = seconds();
        a();
        first.push_back(seconds() - start);
        start = seconds();
        b();
        second.push_back(seconds() - start);
    }
    return {median(first), median(second)};
}

// A trained-looking LoRA: the config's A init, B drawn small (not zero).
lwb::TaskLora randomTaskLora(const lwb::RunConfig &config, const std::string &task)
{
    lwb::CausalLM model = lwb::buildBaseModel(config.model);
    lwb::attachAdapters(*model, config.adapter);
    lwb::bench::giveLoraTrainedValues(*model);
    return lwb::taskLoraFromModel(task, *model, config.adapter);
}

} // namespace

int main(int argc, char **argv)
{
    const std::int64_t repeats = argc > 1 ? std::stoll(argv[1]) : 30;
    const int threads = lwb::configureThreads(argc > 2 ? std::stoi(argv[2]) : 0);
    auto config = lwb::loadRunConfig(LWB_CONFIG_DIR "/lora_default.json");
    config.adapter.dropout = 0.0;
    std::printf("%s\n%d threads, model %s, batch %lld x %lld tokens, LoRA r=%lld on",
                lwb::versionLine("bench_dlp").c_str(), threads, lwb::bench::baseName(config.model).c_str(),
                static_cast<long long>(kBatch), static_cast<long long>(kLength),
                static_cast<long long>(config.adapter.rank));
    for (const auto &target : config.adapter.targets)
        std::printf(" %s", target.c_str());
    std::printf(", median of %lld alternating forward passes\n", static_cast<long long>(repeats));

    torch::manual_seed(1);
    const auto ids = torch::randint(0, 256, {kBatch, kLength}, torch::kInt64);
    const auto mask = torch::ones({kBatch, kLength}, torch::kBool);
    torch::NoGradGuard noGrad;

    // The baseline: one LoRA, attached plainly.
    lwb::CausalLM single(config.model);
    lwb::attachAdapters(*single, config.adapter);
    single->eval();
    const auto singleForward = [&] { single->forward(ids, mask); };

    lwb::PluginOptions pluginOptions;
    std::printf("  %-3s %10s %10s %7s %-8s %10s %7s %10s %7s %10s %14s\n", "N", "single ms", "mixed ms", "ratio",
                "path", "stacked ms", "ratio", "one ms", "ratio", "plugin ms", "mixed+plugin");
    for (const std::int64_t n : {2, 4, 8}) {
        lwb::TaskLoraLibrary library;
        for (std::int64_t i = 0; i < n; ++i)
            library.add(randomTaskLora(config, "task" + std::to_string(i)));
        lwb::CausalLM fused(config.model);
        const auto adapters = lwb::attachFusedLibrary(*fused, library);
        fused->eval();

        auto mixed = torch::zeros({kBatch, n}, torch::kFloat64);
        for (std::int64_t b = 0; b < kBatch; ++b) {
            mixed[b][b % n] = 0.8;
            mixed[b][(b + 1) % n] = 0.2;
        }
        auto one = torch::zeros({kBatch, n}, torch::kFloat64);
        one.select(1, 0).fill_(1.0);
        lwb::setFusionWeights(adapters, mixed);
        const auto [singleMixed, mixedSeconds]
            = alternateMedians(repeats, singleForward, [&] { fused->forward(ids, mask); });
        const bool autoPerSequence = adapters.front()->lastForwardPerSequence();
        for (const auto &adapter : adapters)
            adapter->setPath(lwb::DlpFusedAdapterImpl::Path::Stacked);
        const auto [singleStacked, stackedSeconds]
            = alternateMedians(repeats, singleForward, [&] { fused->forward(ids, mask); });
        for (const auto &adapter : adapters)
            adapter->setPath(lwb::DlpFusedAdapterImpl::Path::Auto);
        lwb::setFusionWeights(adapters, one);
        const auto [singleOne, oneSeconds]
            = alternateMedians(repeats, singleForward, [&] { fused->forward(ids, mask); });

        pluginOptions.tasks = n;
        lwb::PluginClassifier plugin(pluginOptions);
        lwb::DlpRouter router(lwb::pluginProbabilities(plugin.ptr()), n, lwb::DlpSelectionOptions());
        std::vector<std::vector<std::int64_t>> prompts(static_cast<std::size_t>(kBatch));
        for (std::int64_t b = 0; b < kBatch; ++b)
            for (std::int64_t t = 0; t < 16; ++t)
                prompts[static_cast<std::size_t>(b)].push_back(ids[b][t].item<std::int64_t>());
        const auto [singleAgain, pluginSeconds]
            = alternateMedians(repeats, singleForward, [&] { router.route(prompts, 258); });

        std::printf("  %-3lld %10.2f %10.2f %7.3f %-8s %10.2f %7.3f %10.2f %7.3f %10.2f %14.3f\n",
                    static_cast<long long>(n), singleMixed * 1e3, mixedSeconds * 1e3, mixedSeconds / singleMixed,
                    autoPerSequence ? "per-seq" : "stacked", stackedSeconds * 1e3, stackedSeconds / singleStacked,
                    oneSeconds * 1e3, oneSeconds / singleOne, pluginSeconds * 1e3,
                    mixedSeconds / singleMixed + pluginSeconds / singleAgain);
    }
    std::printf("plugin: %lld parameters (width %lld); goal: fused / single <= 1.2\n",
                static_cast<long long>(lwb::PluginClassifier(pluginOptions)->parameterCount()),
                static_cast<long long>(lwb::PluginClassifier(pluginOptions)->width()));
    return 0;
}
