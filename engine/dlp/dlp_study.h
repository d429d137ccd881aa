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
// selected LoRAs, their weights and the generated text out (DlpModel; a
// finished study's folder loads back with DlpModel::loadStudy).
//
// Recording: observers added with addObserver() see the study as one run
// (variant "dlp"): onRunStarted when run() begins, one onEval with the
// study's scores (EvalMetrics::dlp) and onRunFinished (finished, cancelled or
// failed). setStageObservers() gives each training the study runs (the task
// LoRAs, the multi-task LoRA) its own observers, e.g. a RunRecorder whose
// run is a child of the study's.
#pragma once

#include "engine/config/run_config.h"
#include "engine/dlp/dlp_evaluation.h"
#include "engine/dlp/dlp_model.h"
#include "engine/dlp/dlp_progress.h"
#include "engine/dlp/plugin_training.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/train/step_metrics.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace lwb {

class Trainer;
class TrainObserver;

// Observers for one training of the study, made just before it starts and
// released after it ends. stage: "task lora" or "multi-task lora"; detail:
// the task, or "rank N".
using DlpStageObservers
    = std::function<std::vector<std::shared_ptr<TrainObserver>>(const std::string &stage, const std::string &detail)>;

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
    // Wall seconds of greedy generation over the same held-out prompts
    // (inference time; no gradients, the run's device and threads):
    //   fusion  the plugin reading each prompt + the fused selected LoRAs;
    //   oracle  each prompt's own task LoRA alone (weight 1), no plugin;
    //   single  one LoRA for every prompt (library entry 0, weight 1; the
    //           unused LoRAs skip their matmuls): the cost of serving one LoRA.
    double fusionSeconds = 0.0;
    double oracleSeconds = 0.0;
    double singleSeconds = 0.0;
};

// The figures of a finished study as JSON (written to <output_dir>/dlp_result.json
// by run(), read by resources/studies/run_dlp_replay.sh's table).
nlohmann::json toJson(const DlpStudyResult &result, const RunConfig &config);

class DlpStudy
{
public:
    // Throws lwb::Error when the config is not a "dlp" run.
    explicit DlpStudy(RunConfig config);
    ~DlpStudy();

    DlpStudy(const DlpStudy &) = delete;
    DlpStudy &operator=(const DlpStudy &) = delete;

    void setObserver(DlpStudyObserver observer) { observer_ = std::move(observer); }
    void addObserver(TrainObserver *observer) { studyObservers_.push_back(observer); }
    void setStageObservers(DlpStageObservers make) { stageObservers_ = std::move(make); }
    void requestStop();

    // The config as the study runs it (output folder filled in).
    const RunConfig &config() const { return config_; }

    DlpStudyResult run();

    // After run(): the library, and greedy generation routed by the plugin.
    const TaskLoraLibrary &library() const { return library_; }
    RoutedGeneration generate(const std::string &prompt, std::int64_t maxNewTokens = 32);

private:
    DlpStudyResult runStages();
    EvalMetrics studyEvaluation(const DlpStudyResult &result) const;
    TaskLora trainTaskLora(const std::string &task);
    std::map<std::string, double> trainMultiTaskLora(std::int64_t rank);
    EvalMetrics runTrainer(const RunConfig &config, const std::string &stage, const std::string &detail,
                           const std::function<void(Trainer &)> &afterRun = {});
    void report(const DlpStudyProgress &progress) const;
    void throwIfStopped() const;

    RunConfig config_;
    DlpStudyObserver observer_;
    std::atomic<bool> stopRequested_{false};
    std::mutex trainerMutex_;
    Trainer *trainer_ = nullptr; // the training in progress, for requestStop()

    std::vector<TrainObserver *> studyObservers_;
    DlpStageObservers stageObservers_;

    TaskLoraLibrary library_;
    std::unique_ptr<DlpModel> model_; // after the library is complete
};

} // namespace lwb
