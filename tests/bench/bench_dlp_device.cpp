// Benchmark: DLP-LoRA's fused library of N task LoRAs on a real-sized base, on
// the run config's device and precision, for the GPU check's table
// (tests/bench/gpu_table.py). Prints two JSON lines; asserts nothing.
//
//   bench_dlp_device CONFIG.json TASKS STEPS REPEATS
//
// CONFIG is a LoRA run config (model.path, device, training.precision,
// batch_size, data.seq_len, adapter r / alpha / targets); TASKS random task
// LoRAs of that shape (B drawn small, as trained ones are) form the library.
// Every sequence of a batch fuses its own task's LoRA (0.8) and a
// neighbour's (0.2), tasks spread over the batch so every LoRA is in use: the
// worst case for the fused pass (bench_dlp.cpp's "mixed batch").
//
//   {"kind": "dlp_train", ...}  a training step through the fused library with
//       all N LoRAs trainable (the harness's "DLP fused" backward): autocast
//       forward, the trainer's fused output projection + cross-entropy,
//       AdamW on the LoRAs; tokens/s over the steps after the first 5, and
//       the peak memory on the device (lwb::peakMemoryBytes). DLP-LoRA itself
//       trains each task LoRA alone (a plain LoRA run: the LoRA row) and its
//       plugin; this is what joint training of the fused library costs.
//   {"kind": "dlp_infer", ...}  inference forward (no gradients) of the fused
//       library against one LoRA attached plainly, timed alternately call by
//       call after a warm-up, each the median of REPEATS; ratio fused /
//       single (the goal: <= 1.2).
#include "bench_support.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/dlp_fused_adapter.h"
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/model/base_model.h"
#include "engine/train/fused_linear_cross_entropy.h"
#include "engine/train/precision.h"

#include <torch/cuda.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t kWarmupSteps = 5;

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Host timers see a GPU's work only once it is done.
void waitForDevice(const torch::Device &device)
{
    if (device.is_cuda())
        torch::cuda::synchronize(device.index() < 0 ? -1 : device.index());
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// TASKS task LoRAs of the config's shape, drawn on one model (re-drawn in
// place between entries: taskLoraFromModel copies the factors out).
lwb::TaskLoraLibrary randomLibrary(const lwb::RunConfig &config, std::int64_t tasks)
{
    lwb::CausalLM model = lwb::buildBaseModel(config.model, torch::kBFloat16);
    lwb::attachAdapters(*model, config.adapter);
    lwb::TaskLoraLibrary library;
    torch::NoGradGuard noGrad;
    for (std::int64_t i = 0; i < tasks; ++i) {
        for (auto &item : model->named_parameters())
            if (item.key().find("lora_A") != std::string::npos)
                item.value().uniform_(-0.02, 0.02);
        lwb::bench::giveLoraTrainedValues(*model);
        library.add(lwb::taskLoraFromModel("task" + std::to_string(i), *model, config.adapter));
    }
    return library;
}

// [B, N]: sequence b fuses task b mod N (0.8) and its neighbour (0.2).
torch::Tensor mixedWeights(std::int64_t batch, std::int64_t tasks)
{
    auto weights = torch::zeros({batch, tasks}, torch::kFloat64);
    for (std::int64_t b = 0; b < batch; ++b) {
        weights[b][b % tasks] = 0.8;
        weights[b][(b + 1) % tasks] = 0.2;
    }
    return weights;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: bench_dlp_device CONFIG.json TASKS STEPS REPEATS\n");
        return 2;
    }
    auto config = lwb::loadRunConfig(argv[1]);
    const std::int64_t tasks = std::stoll(argv[2]), steps = std::stoll(argv[3]), repeats = std::stoll(argv[4]);
    config.adapter.dropout = 0.0;
    lwb::configureThreads(config.threads);
    const auto device = lwb::parseDevice(config.device);
    const auto precision = lwb::resolvePrecision(config.training.precision, device);
    const std::int64_t batch = config.training.batchSize, length = config.data.seqLen;
    std::fprintf(stderr, "%s\n", lwb::versionLine("bench_dlp_device").c_str());

    torch::manual_seed(config.seed);
    const auto library = randomLibrary(config, tasks);
    const auto ids = torch::randint(0, 256, {batch, length}, torch::kInt64).to(device);
    const auto mask = torch::ones({batch, length}, torch::kBool).to(device);
    const auto labels = torch::randint(0, 256, {batch * length}, torch::kInt64).to(device);

    // Training through the fused library, every LoRA trainable.
    {
        lwb::CausalLM fused = lwb::buildBaseModel(config.model, lwb::baseDtype(precision));
        const auto adapters = lwb::attachFusedLibrary(*fused, library);
        std::vector<torch::Tensor> trainable;
        for (const auto &adapter : adapters) {
            adapter->loraA.set_requires_grad(true);
            adapter->loraB.set_requires_grad(true);
            trainable.push_back(adapter->loraA);
            trainable.push_back(adapter->loraB);
        }
        fused->to(device);
        fused->train();
        lwb::setFusionWeights(adapters, mixedWeights(batch, tasks));
        torch::optim::AdamW optimizer(trainable, torch::optim::AdamWOptions(config.training.lr));
        double started = 0.0;
        for (std::int64_t step = 0; step < kWarmupSteps + steps; ++step) {
            if (step == kWarmupSteps) {
                waitForDevice(device);
                started = seconds();
            }
            torch::Tensor loss;
            {
                lwb::AutocastScope autocast(device.type(), precision);
                auto hidden = fused->hiddenStates(ids, mask);
                hidden = hidden.reshape({-1, hidden.size(-1)}).to(torch::kFloat32);
                loss = lwb::fusedLinearCrossEntropy(hidden, fused->outputWeight(), labels) / (batch * length);
            }
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            loss.item<float>(); // the trainer reads its step's figures once per step too
        }
        waitForDevice(device);
        const double elapsed = seconds() - started;
        std::printf("{\"kind\": \"dlp_train\", \"tasks\": %lld, \"steps_timed\": %lld, \"tokens_per_s\": %.1f, "
                    "\"step_ms\": %.2f, \"peak_mib\": %.1f}\n",
                    static_cast<long long>(tasks), static_cast<long long>(steps),
                    static_cast<double>(steps * batch * length) / elapsed, elapsed / static_cast<double>(steps) * 1e3,
                    static_cast<double>(lwb::peakMemoryBytes(device)) / (1024.0 * 1024.0));
        std::fflush(stdout);
    }

    // Inference: the fused library against one LoRA, alternately.
    torch::NoGradGuard noGrad;
    lwb::CausalLM single = lwb::buildBaseModel(config.model, lwb::baseDtype(precision));
    lwb::attachAdapters(*single, config.adapter);
    lwb::bench::giveLoraTrainedValues(*single);
    single->to(device);
    single->eval();
    lwb::CausalLM fused = lwb::buildBaseModel(config.model, lwb::baseDtype(precision));
    const auto adapters = lwb::attachFusedLibrary(*fused, library);
    fused->to(device);
    fused->eval();
    lwb::setFusionWeights(adapters, mixedWeights(batch, tasks));
    const auto timeForward = [&](lwb::CausalLM &model) {
        lwb::AutocastScope autocast(device.type(), precision);
        waitForDevice(device);
        const double start = seconds();
        model->forward(ids, mask);
        waitForDevice(device);
        return seconds() - start;
    };
    timeForward(single);
    timeForward(fused);
    std::vector<double> singleSeconds, fusedSeconds;
    for (std::int64_t i = 0; i < repeats; ++i) {
        singleSeconds.push_back(timeForward(single));
        fusedSeconds.push_back(timeForward(fused));
    }
    const double singleMs = median(singleSeconds) * 1e3, fusedMs = median(fusedSeconds) * 1e3;
    std::printf("{\"kind\": \"dlp_infer\", \"tasks\": %lld, \"path\": \"%s\", \"single_ms\": %.3f, \"fused_ms\": %.3f, "
                "\"ratio\": %.3f}\n",
                static_cast<long long>(tasks), adapters.front()->lastForwardPerSequence() ? "per-seq" : "stacked",
                singleMs, fusedMs, fusedMs / singleMs);
    return 0;
}
