// DlpStudy: a whole DLP-LoRA study from one RunConfig (adapter.variant
// "dlp"), the engine entry point the CLI (`lorawb dlp`) and the GUI call.
//
//   1. library: for each entry of adapter.dlp.library (default: one per
//      data.tasks), train a plain LoRA on that task alone (the config's
//      adapter settings, dlp.task_steps steps) or load one from a checkpoint;
//   2. baseline: one multi-task LoRA of equal total rank (sum of the task
//      ranks, alpha scaled alike so alpha / r is unchanged) trained on all the
//      library's tasks for N * task_steps steps: the same examples in total;
//   3. plugin: trained on the tasks' prompts (dlp.plugin), held-out accuracy
//      and confusion matrix;
//   4. the library attached to a fresh base as fused adapters, routed by the
//      plugin (dlp.selection, dlp.granularity);
//   5. evaluation on the run's held-out examples: exact match per task with
//      the fusion, with the oracle (true task's LoRA alone) and with the
//      multi-task LoRA; per-LoRA selection counts.
// Checkpoints go under training.output_dir (task-<name>/, multi-task/) and
// the plugin's weights to plugin.pt there.
//
// Threads: run() blocks (a worker thread in the GUI); requestStop() may be
// called from any thread and stops the current training after its step,
// after which run() throws lwb::Error("DLP study", "stopped").
// After run(), generate() serves an inference panel: a prompt in, the
// selected LoRAs, their weights and the generated text out.
#pragma once

#include "engine/config/run_config.h"
#include "engine/dlp/dlp_evaluation.h"
#include "engine/dlp/plugin_training.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/train/step_metrics.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace lwb {

class Trainer;

struct DlpStudyProgress
{
    std::string stage;  // "task lora", "multi-task lora", "plugin", "evaluation"
    std::string detail; // e.g. the task being trained
    std::int64_t done = 0;
    std::int64_t total = 0;
    double loss = 0.0;                         // training stages: the last step's / epoch's loss
    std::vector<std::int64_t> selectionCounts; // evaluation: per task LoRA so far
};

using DlpStudyObserver = std::function<void(const DlpStudyProgress &)>;

struct DlpStudyResult
{
    std::vector<std::string> tasks; // library order = plugin classes
    PluginReport plugin;
    std::int64_t pluginWidth = 0;
    FusionScores fusion;
    std::map<std::string, double> oracle;
    std::map<std::string, double> multiTask;
    std::int64_t multiTaskRank = 0;
    std::string outputDir;
};

class DlpStudy
{
public:
    // Throws lwb::Error when the config is not a "dlp" run.
    explicit DlpStudy(RunConfig config);
    ~DlpStudy();

    DlpStudy(const DlpStudy &) = delete;
    DlpStudy &operator=(const DlpStudy &) = delete;

    void setObserver(DlpStudyObserver observer) { observer_ = std::move(observer); }
    void requestStop();

    DlpStudyResult run();

    // After run(): the library, and greedy generation routed by the plugin.
    const TaskLoraLibrary &library() const { return library_; }
    RoutedGeneration generate(const std::string &prompt, std::int64_t maxNewTokens = 32);

private:
    TaskLora trainTaskLora(const std::string &task);
    std::map<std::string, double> trainMultiTaskLora(std::int64_t rank);
    EvalMetrics runTrainer(const RunConfig &config, const std::string &stage, const std::string &detail,
                           std::function<void(Trainer &)> afterRun = {});
    void report(const DlpStudyProgress &progress) const;
    void throwIfStopped() const;

    RunConfig config_;
    DlpStudyObserver observer_;
    std::atomic<bool> stopRequested_{false};
    std::mutex trainerMutex_;
    Trainer *trainer_ = nullptr; // the training in progress, for requestStop()

    torch::Device device_{torch::kCPU};
    TaskLoraLibrary library_;
    CausalLM model_{nullptr};
    FusedAdapters adapters_;
    PluginClassifier plugin_{nullptr};
    std::unique_ptr<DlpRouter> router_;
};

} // namespace lwb
