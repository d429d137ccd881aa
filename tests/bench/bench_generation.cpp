// Benchmark: greedy generation with the KV cache against re-running the
// whole sequence for every token (the decoding before the cache, kept as
// GenerationOptions::useKvCache = false). Prints figures; asserts nothing.
//
//   bench_generation [REPEATS] [THREADS]
//
// Each preset (gpt2-tiny, llama-tiny with grouped-query attention) with the
// shipped LoRA preset's adapters (resources/configs/lora_default.json, B
// drawn so that the adapters do work), a 16-token prompt, 128 new tokens, no
// EOS; batches of 1 and 8 rows. Both ways run in the same process,
// interleaved (cached, uncached, cached, ...), and the median of REPEATS
// runs is reported as generated tokens per second (rows x 128 / seconds).
// "same" says whether both ways produced the same tokens.
#include "bench_support.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/model/causal_lm.h"
#include "engine/model/generation.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

constexpr std::int64_t kPromptTokens = 16;
constexpr std::int64_t kNewTokens = 128;

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

lwb::CausalLM buildModel(const std::string &preset, const lwb::AdapterConfig &adapter)
{
    lwb::CausalLM model(lwb::modelPreset(preset));
    lwb::attachAdapters(*model, adapter);
    lwb::bench::giveLoraTrainedValues(*model);
    model->eval();
    return model;
}

struct Timed
{
    double seconds = 0.0;
    std::vector<lwb::GeneratedSequence> output;
};

Timed timedGenerate(lwb::CausalLMImpl &model, const torch::Tensor &prompts, bool cached)
{
    lwb::GenerationOptions options;
    options.maxNewTokens = kNewTokens;
    options.useKvCache = cached;
    const double start = seconds();
    auto output = lwb::generate(model, prompts, options);
    return {seconds() - start, std::move(output)};
}

} // namespace

int main(int argc, char **argv)
{
    const std::int64_t repeats = argc > 1 ? std::stoll(argv[1]) : 5;
    const int threads = lwb::configureThreads(argc > 2 ? std::stoi(argv[2]) : 0);
    const auto lora = lwb::loadRunConfig(LWB_CONFIG_DIR "/lora_default.json");
    std::printf("%s\n%lld repeats (median), %d threads, LoRA r=%lld, prompt %lld tokens, %lld new tokens, greedy\n",
                lwb::versionLine("bench_generation").c_str(), static_cast<long long>(repeats), threads,
                static_cast<long long>(lora.adapter.rank), static_cast<long long>(kPromptTokens),
                static_cast<long long>(kNewTokens));
    for (const std::string preset : {"gpt2-tiny", "llama-tiny"}) {
        torch::manual_seed(1);
        auto adapter = lora.adapter;
        adapter.targets = lwb::linearLayerNames(lwb::modelPreset(preset).architecture); // every linear layer
        auto model = buildModel(preset, adapter);
        for (const std::int64_t rows : {1, 8}) {
            auto prompts = torch::randint(0, 256, {rows, kPromptTokens}, torch::kInt64);
            prompts.select(1, 0).fill_(lwb::ByteTokenizer::kBos);
            timedGenerate(*model, prompts, true); // warm-up
            std::vector<double> cachedTimes, uncachedTimes;
            bool same = true;
            for (std::int64_t r = 0; r < repeats; ++r) {
                const auto cached = timedGenerate(*model, prompts, true);
                const auto uncached = timedGenerate(*model, prompts, false);
                cachedTimes.push_back(cached.seconds);
                uncachedTimes.push_back(uncached.seconds);
                for (std::size_t row = 0; row < cached.output.size(); ++row)
                    same = same && cached.output[row].tokens == uncached.output[row].tokens;
            }
            const double tokens = static_cast<double>(rows * kNewTokens);
            const double withCache = tokens / median(cachedTimes), without = tokens / median(uncachedTimes);
            std::printf("  %-10s rows %2lld   KV cache %9.1f tok/s   re-run %9.1f tok/s   speed-up %5.2fx   same %s\n",
                        preset.c_str(), static_cast<long long>(rows), withCache, without, withCache / without,
                        same ? "yes" : "NO");
        }
    }
    return 0;
}
