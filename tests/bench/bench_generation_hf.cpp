// The engine's side of bench_generation_vs_peer.py: greedy generation from a
// Hugging Face folder (transformers saved it), as `lorawb generate` runs it,
// timed and printed as one JSON line. Asserts nothing.
//
//   bench_generation_hf MODEL_DIR ADAPTER(none|lora|merged) RANK ALPHA BATCH PROMPT NEW THREADS REPEATS
//
// The adapter is a LoRA of rank RANK on q,k,v,o,gate,up,down with B drawn
// N(0, 0.02) so it does work (merged: folded into W, AdaptedLinear::merge).
// Prompts are random token ids of PROMPT tokens (seed 0), no EOS, so every
// row generates NEW tokens. One untimed warm-up run (allocator, thread
// pools), then REPEATS timed runs; the best is reported as generated
// tokens per second (BATCH x NEW / seconds), with the first row's tokens so
// the script can compare them with the peer's, and the fastest and median
// decoding step (each step after the prompt's pass, over all timed runs):
// on a loaded machine the median step is steadier than a run's total.
// Also the process's CPU time (every thread) per generated token over the
// timed runs: the work done, which other processes' load barely moves.
#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/model/generation.h"
#include "engine/model/hf_checkpoint.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace {

double processCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 10) {
        std::fprintf(stderr,
                     "usage: bench_generation_hf MODEL_DIR none|lora|merged RANK ALPHA BATCH PROMPT NEW THREADS "
                     "REPEATS\n");
        return 2;
    }
    const std::string folder = argv[1], adapter = argv[2];
    const auto rank = std::stoll(argv[3]);
    const auto alpha = std::stod(argv[4]);
    const auto batch = std::stoll(argv[5]), promptTokens = std::stoll(argv[6]), newTokens = std::stoll(argv[7]);
    lwb::configureThreads(std::stoi(argv[8]));
    const auto repeats = std::stoi(argv[9]);

    auto model = lwb::loadHfCausalLM(folder);
    if (adapter != "none") {
        lwb::AdapterConfig config;
        config.variant = "lora";
        config.targets = lwb::linearLayerNames(model->config().architecture);
        config.rank = rank;
        config.alpha = alpha;
        lwb::attachAdapters(*model, config);
        torch::NoGradGuard noGrad;
        torch::manual_seed(0);
        for (auto &[name, parameter] : lwb::trainableParameters(*model)) {
            if (name.find("lora_B") != std::string::npos)
                parameter.normal_(0.0, 0.02);
        }
        if (adapter == "merged") {
            for (auto &layer : lwb::adaptedLayers(*model))
                layer.layer->merge();
        }
    }
    model->eval();
    torch::manual_seed(0);
    const auto prompts = torch::randint(0, model->config().vocabSize, {batch, promptTokens}, torch::kInt64);
    lwb::GenerationOptions options;
    options.maxNewTokens = newTokens;
    std::vector<lwb::GeneratedSequence> generated;
    double best = 1e300;
    double cpuSeconds = 0.0;         // over the timed runs
    std::vector<double> decodeSteps; // seconds of each decoding step after the prompt's, every timed run
    std::vector<double> prefills;    // seconds from the call to the first new token, every timed run
    for (int run = 0; run <= repeats; ++run) {
        const auto start = std::chrono::steady_clock::now();
        const double cpuStart = processCpuSeconds();
        auto last = start;
        const auto timeStep = [&](const lwb::GenerationStep &step) {
            const auto now = std::chrono::steady_clock::now();
            if (run > 0)
                (step.position > prompts.size(1) ? decodeSteps : prefills)
                    .push_back(std::chrono::duration<double>(now - last).count());
            last = now;
        };
        generated = lwb::generate(*model, prompts, options, timeStep);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (run > 0) {
            best = std::min(best, seconds);
            cpuSeconds += processCpuSeconds() - cpuStart;
        }
    }
    const auto quantileMs = [](std::vector<double> seconds, double quantile) {
        std::sort(seconds.begin(), seconds.end());
        return seconds.empty() ? 0.0 : 1e3 * seconds[static_cast<std::size_t>(quantile * (seconds.size() - 1))];
    };
    std::string tokens;
    for (const auto token : generated.front().tokens)
        tokens += (tokens.empty() ? "" : ",") + std::to_string(token);
    std::printf("{\"seconds\": %.6f, \"tokens_per_s\": %.3f, \"step_ms_min\": %.3f, \"step_ms_median\": %.3f, "
                "\"prefill_ms_median\": %.3f, \"cpu_ms_per_token\": %.3f, \"first_row\": [%s]}\n",
                best, static_cast<double>(batch * newTokens) / best, quantileMs(decodeSteps, 0.0),
                quantileMs(decodeSteps, 0.5), quantileMs(prefills, 0.5),
                1e3 * cpuSeconds / static_cast<double>(std::max(1, repeats) * batch * newTokens), tokens.c_str());
    return 0;
}
