// Benchmark: training throughput of the default run, and what the thread
// count and merging are worth. Prints figures; asserts nothing (timings on a
// shared machine are not test material).
//
//   bench_train_step [CONFIG.json] [STEPS]
//   bench_train_step --json CONFIG.json STEPS THREADS
//
// 1. Train steps/s and tokens/s of CONFIG (default: the shipped default run)
//    with torch on 1 thread and on every hardware thread — the baseline and
//    the setting the engine uses, measured in the same process.
// 2. Inference forward of the adapted model, LoRA unmerged vs merged.
// --json: only the training steps on THREADS threads, as one JSON line
// (steps timed, tokens/s, mean step time, peak memory on the config's device:
// lwb::peakMemoryBytes, the CUDA allocator's peak on a GPU), for bench_vs_peer.py and gpu_table.py, which
// set it beside the same model trained by transformers + peft.
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/model/base_model.h"
#include "engine/train/trainer.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace {

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class Throughput : public lwb::TrainObserver
{
public:
    void onStep(const lwb::StepMetrics &m) override
    {
        if (m.step == 5) { // skip warm-up steps (allocator, OpenMP pool)
            startTime_ = seconds();
            startTokens_ = m.tokens;
        }
        lastTime_ = seconds();
        lastTokens_ = m.tokens;
        lastStep_ = m.step;
    }
    void print(const char *label) const
    {
        const double elapsed = lastTime_ - startTime_;
        std::printf("  %-28s %8.1f steps/s %10.0f tokens/s\n", label, static_cast<double>(lastStep_ - 5) / elapsed,
                    static_cast<double>(lastTokens_ - startTokens_) / elapsed);
    }
    void printJson(double peakMiB) const
    {
        const double elapsed = lastTime_ - startTime_;
        const auto steps = static_cast<double>(lastStep_ - 5);
        std::printf("{\"steps_timed\": %lld, \"tokens_per_s\": %.1f, \"step_ms\": %.2f, \"peak_mib\": %.1f}\n",
                    static_cast<long long>(lastStep_ - 5), static_cast<double>(lastTokens_ - startTokens_) / elapsed,
                    elapsed / steps * 1e3, peakMiB);
    }

private:
    double startTime_ = 0, lastTime_ = 0;
    std::int64_t startTokens_ = 0, lastTokens_ = 0, lastStep_ = 0;
};

Throughput trainThroughput(lwb::RunConfig config, int threads)
{
    config.threads = threads;
    config.eval.every = 0;
    config.training.outputDir = (std::filesystem::temp_directory_path() / "lwb-bench").string();
    lwb::Trainer trainer(config);
    Throughput throughput;
    trainer.addObserver(&throughput);
    trainer.run();
    return throughput;
}

void forwardLatency(const lwb::RunConfig &config)
{
    lwb::CausalLM model = lwb::buildBaseModel(config.model);
    lwb::attachAdapters(*model, config.adapter);
    model->eval();
    torch::NoGradGuard noGrad;
    const auto ids = torch::randint(0, 256, {config.training.batchSize, config.data.seqLen}, torch::kInt64);
    const auto time = [&](const char *label) {
        for (int i = 0; i < 3; ++i)
            model->forward(ids);
        const int reps = 20;
        const double start = seconds();
        for (int i = 0; i < reps; ++i)
            model->forward(ids);
        std::printf("  %-28s %8.2f ms per batch of %lld x %lld\n", label, (seconds() - start) / reps * 1e3,
                    static_cast<long long>(ids.size(0)), static_cast<long long>(ids.size(1)));
    };
    time("forward, LoRA unmerged");
    for (auto &entry : lwb::adaptedLayers(*model))
        entry.layer->merge();
    time("forward, LoRA merged");
}

} // namespace

int main(int argc, char **argv)
{
    if (argc == 5 && std::string(argv[1]) == "--json") {
        auto config = lwb::loadRunConfig(argv[2]);
        config.training.steps = std::stoll(argv[3]);
        config.training.warmupSteps = std::min(config.training.warmupSteps, config.training.steps);
        const auto throughput = trainThroughput(config, std::stoi(argv[4]));
        throughput.printJson(static_cast<double>(lwb::peakMemoryBytes(lwb::parseDevice(config.device)))
                             / (1024.0 * 1024.0));
        return 0;
    }
    const std::string path = argc > 1 && *argv[1] ? argv[1] : LWB_DEFAULT_CONFIG;
    auto config = lwb::loadRunConfig(path);
    config.training.steps = argc > 2 ? std::stoll(argv[2]) : 60;
    config.training.warmupSteps = std::min(config.training.warmupSteps, config.training.steps);
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::printf("%s\nconfig %s, %lld steps, %d hardware threads\n", lwb::versionLine("bench_train_step").c_str(),
                path.c_str(), static_cast<long long>(config.training.steps), hardware);
    std::printf("training:\n");
    trainThroughput(config, 1).print("1 thread (baseline)");
    if (hardware > 1)
        trainThroughput(config, hardware).print((std::to_string(hardware) + " threads (engine default)").c_str());
    std::printf("inference (%d threads):\n", lwb::configureThreads(0));
    forwardLatency(config);
    return 0;
}
