// Benchmark: what DLP-LoRA's fusion costs over one LoRA at inference. Prints
// figures; asserts nothing.
//
//   bench_dlp [REPEATS]
//
// The built-in model (gpt2-tiny, LoRA r=8 on c_attn, c_proj, c_fc), eval
// mode, no gradients, one forward pass over a batch of 16 sequences of 48
// tokens (what every step of greedy decoding without a KV cache runs), same
// thread count, measured in the same process:
//   single LoRA        the baseline: one task LoRA attached as a plain LoRA
//   fused, mixed batch N task LoRAs; each sequence fuses its own task's LoRA
//                      (0.8) and a neighbour's (0.2), the tasks spread over
//                      the batch so that every LoRA is used by some sequence
//                      (the worst case for the fused pass)
//   fused, one task    every sequence selects the same LoRA (weight 1): the
//                      unused LoRAs are left out of both matmuls
//   plugin             the ~5M-parameter plugin reading the 16 prompts (once
//                      per input; per sentence it runs again at each start)
// for N = 2, 4, 8. The goal: fused / single <= 1.2 (the paper: < 2).
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/dlp/dlp_router.h"
#include "engine/dlp/task_lora_library.h"
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

// Median seconds of `repeats` calls after two warm-up calls.
template <typename Fn>
double medianSeconds(std::int64_t repeats, Fn &&fn)
{
    fn();
    fn();
    std::vector<double> times;
    for (std::int64_t i = 0; i < repeats; ++i) {
        const double start = seconds();
        fn();
        times.push_back(seconds() - start);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// A trained-looking LoRA: the config's A init, B drawn small (not zero).
lwb::TaskLora randomTaskLora(const lwb::RunConfig &config, const std::string &task)
{
    lwb::CausalLM model(config.model);
    lwb::attachAdapters(*model, config.adapter);
    torch::NoGradGuard noGrad;
    for (auto &item : model->named_parameters())
        if (item.key().find("lora_B") != std::string::npos)
            item.value().normal_(0.0, 0.02);
    return lwb::taskLoraFromModel(task, *model, config.adapter);
}

} // namespace

int main(int argc, char **argv)
{
    const std::int64_t repeats = argc > 1 ? std::stoll(argv[1]) : 30;
    const int threads = lwb::configureThreads(0);
    auto config = lwb::loadRunConfig(LWB_CONFIG_DIR "/lora_default.json");
    config.adapter.dropout = 0.0;
    std::printf("%s\n%d threads, model %s, batch %lld x %lld tokens, LoRA r=%lld on", lwb::versionLine("bench_dlp").c_str(),
                threads, config.model.preset.c_str(), static_cast<long long>(kBatch), static_cast<long long>(kLength),
                static_cast<long long>(config.adapter.rank));
    for (const auto &target : config.adapter.targets)
        std::printf(" %s", target.c_str());
    std::printf(", median of %lld forward passes\n", static_cast<long long>(repeats));

    torch::manual_seed(1);
    const auto ids = torch::randint(0, 256, {kBatch, kLength}, torch::kInt64);
    const auto mask = torch::ones({kBatch, kLength}, torch::kBool);
    torch::NoGradGuard noGrad;

    // The baseline: one LoRA, attached plainly.
    lwb::CausalLM single(config.model);
    lwb::attachAdapters(*single, config.adapter);
    single->eval();
    const double singleSeconds = medianSeconds(repeats, [&] { single->forward(ids, mask); });

    lwb::PluginOptions pluginOptions;
    std::printf("  %-3s %12s %14s %7s %14s %7s %10s %16s\n", "N", "single ms", "fused mixed ms", "ratio",
                "fused one ms", "ratio", "plugin ms", "mixed+plugin");
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
        lwb::setFusionWeights(adapters, mixed);
        const double mixedSeconds = medianSeconds(repeats, [&] { fused->forward(ids, mask); });
        auto one = torch::zeros({kBatch, n}, torch::kFloat64);
        one.select(1, 0).fill_(1.0);
        lwb::setFusionWeights(adapters, one);
        const double oneSeconds = medianSeconds(repeats, [&] { fused->forward(ids, mask); });

        pluginOptions.tasks = n;
        lwb::PluginClassifier plugin(pluginOptions);
        lwb::DlpRouter router(lwb::pluginProbabilities(plugin), n, lwb::DlpSelectionOptions());
        std::vector<std::vector<std::int64_t>> prompts(static_cast<std::size_t>(kBatch));
        for (std::int64_t b = 0; b < kBatch; ++b)
            for (std::int64_t t = 0; t < 16; ++t)
                prompts[static_cast<std::size_t>(b)].push_back(ids[b][t].item<std::int64_t>());
        const double pluginSeconds = medianSeconds(repeats, [&] { router.route(prompts, 258); });

        std::printf("  %-3lld %12.2f %14.2f %7.3f %14.2f %7.3f %10.2f %16.3f\n", static_cast<long long>(n),
                    singleSeconds * 1e3, mixedSeconds * 1e3, mixedSeconds / singleSeconds, oneSeconds * 1e3,
                    oneSeconds / singleSeconds, pluginSeconds * 1e3, (mixedSeconds + pluginSeconds) / singleSeconds);
    }
    std::printf("plugin: %lld parameters (width %lld); goal: fused / single <= 1.2\n",
                static_cast<long long>(lwb::PluginClassifier(pluginOptions)->parameterCount()),
                static_cast<long long>(lwb::PluginClassifier(pluginOptions)->width()));
    return 0;
}
