// Memory for real sizes (issue 19, part 2): a Qwen2.5-0.5B-shaped model
// (random weights, the real shape: 24 layers, d 896, 14 heads / 2 KV heads,
// MLP 4864, vocab 151,936, tied embeddings) trains LoRA r=16 on q,k,v,o,
// gate,up,down at batch 1 x 1024 tokens (packed rows), in fp32 and bf16,
// with and without activation checkpointing. Printed per configuration: the
// process's peak resident memory (VmHWM) and the step time of the steps
// after the first (the first allocates and warms oneDNN).
//
// Each configuration runs in its own process (this program re-runs itself
// with the configuration as arguments) because the resident high-water mark
// only grows: one process per row is the only honest peak.
//
//   bench_memory                       all four rows, 3 steps each, 2 threads
//   bench_memory fp32|bf16 0|1 [steps] one row (what the driver runs)
#include "engine/config/run_config.h"
#include "engine/train/trainer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

struct StepTimes : lwb::TrainObserver
{
    std::vector<double> seconds;
    std::int64_t peak = 0;
    double loss = 0.0;
    void onStep(const lwb::StepMetrics &m) override
    {
        seconds.push_back(m.tokensPerSecond > 0.0 ? 1024.0 / m.tokensPerSecond : 0.0);
        peak = std::max(peak, m.peakMemoryBytes);
        loss = m.loss;
    }
};

nlohmann::json qwen05bShapedRun(const std::string &precision, bool checkpointing, int steps, const std::string &out)
{
    return {
        {"name", "bench-memory-0.5b"},
        {"seed", 1},
        {"threads", 2},
        {"model",
         {{"preset", "llama-tiny"},
          {"architecture", "llama"},
          {"vocab_size", 151936},
          {"hidden_size", 896},
          {"num_hidden_layers", 24},
          {"num_attention_heads", 14},
          {"num_key_value_heads", 2},
          {"intermediate_size", 4864},
          {"max_position_embeddings", 32768},
          {"tie_word_embeddings", true},
          {"attention_bias", true},
          {"rope_theta", 1000000.0},
          {"norm_eps", 1e-6}}},
        {"data", {{"seq_len", 1024}, {"pack", true}, {"eval_examples", 1}}},
        {"adapter",
         {{"variant", "lora"},
          {"r", 16},
          {"alpha", 32},
          {"dropout", 0.05},
          {"targets", {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}}}},
        {"training",
         {{"steps", steps},
          {"batch_size", 1},
          {"warmup_steps", 0},
          {"precision", precision},
          {"gradient_checkpointing", checkpointing},
          {"output_dir", out}}},
        {"eval", {{"every", 0}, {"batch_size", 1}}},
    };
}

int runOne(const std::string &precision, bool checkpointing, int steps)
{
    const auto out = std::filesystem::temp_directory_path() / ("lwb-bench-memory-" + std::to_string(::getpid()));
    auto config = lwb::parseRunConfig(qwen05bShapedRun(precision, checkpointing, steps, out.string()), "bench_memory");
    lwb::Trainer trainer(config);
    StepTimes times;
    trainer.addObserver(&times);
    trainer.run();
    std::filesystem::remove_all(out);
    std::vector<double> later(times.seconds.begin() + std::min<std::size_t>(1, times.seconds.size()),
                              times.seconds.end());
    std::sort(later.begin(), later.end());
    const double median = later.empty() ? times.seconds.front() : later[later.size() / 2];
    std::printf("| %-4s | %-13s | %8.2f | %9.1f | %9.1f | %9.4f |\n", precision.c_str(), checkpointing ? "on" : "off",
                static_cast<double>(times.peak) / (1024.0 * 1024.0 * 1024.0), times.seconds.front(), median,
                times.loss);
    std::fflush(stdout);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    try {
        if (argc >= 3)
            return runOne(argv[1], std::string(argv[2]) == "1", argc >= 4 ? std::atoi(argv[3]) : 3);
        std::printf("Qwen2.5-0.5B-shaped (random weights), LoRA r=16 on q,k,v,o,gate,up,down, batch 1 x 1024 "
                    "tokens, 2 threads, 3 steps\n\n");
        std::printf("| prec | checkpointing | peak GiB | step 1 s  | later s   | last loss |\n");
        std::printf("|------|---------------|----------|-----------|-----------|-----------|\n");
        std::fflush(stdout);
        for (const char *precision : {"fp32", "bf16"})
            for (const char *checkpointing : {"0", "1"}) {
                const std::string command = std::string(argv[0]) + " " + precision + " " + checkpointing + " 3";
                if (std::system(command.c_str()) != 0)
                    std::printf("| %s | %s | failed |\n", precision, checkpointing);
            }
        return 0;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "bench_memory: %s\n", error.what());
        return 1;
    }
}
