// See dlp_study.h.
#include "engine/dlp/dlp_study.h"

#include "engine/adapters/dlp_roles.h"
#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/data/batch_builder.h"
#include "engine/data/data_source.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/train/trainer.h"

#include <torch/serialize.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

namespace lwb {

namespace {

double secondsSince(std::chrono::steady_clock::time_point began)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

// Forwards a training run's steps to the study's observer and keeps its
// final evaluation.
class StageObserver : public TrainObserver
{
public:
    StageObserver(std::function<void(const StepMetrics &)> onStep)
        : onStep_(std::move(onStep))
    {
    }
    void onStep(const StepMetrics &metrics) override { onStep_(metrics); }
    void onEval(const EvalMetrics &metrics) override { last = metrics; }

    EvalMetrics last;

private:
    std::function<void(const StepMetrics &)> onStep_;
};

} // namespace

DlpStudy::DlpStudy(RunConfig config)
    : config_(std::move(config))
{
    if (!isDlpStudy(config_.adapter))
        throw Error("adapter.variant", "a DLP-LoRA study needs \"dlp\", got \"" + config_.adapter.variant + "\"");
    if (config_.training.outputDir.empty())
        config_.training.outputDir = newRunFolder(config_.name);
}

DlpStudy::~DlpStudy() = default;

void DlpStudy::requestStop()
{
    stopRequested_.store(true);
    std::lock_guard<std::mutex> lock(trainerMutex_);
    if (trainer_)
        trainer_->requestStop();
}

void DlpStudy::report(const DlpStudyProgress &progress) const
{
    if (observer_)
        observer_(progress);
}

void DlpStudy::throwIfStopped() const
{
    if (stopRequested_.load())
        throw Error("DLP study", "stopped");
}

EvalMetrics DlpStudy::runTrainer(const RunConfig &config, const std::string &stage, const std::string &detail,
                                 const std::function<void(Trainer &)> &afterRun)
{
    throwIfStopped();
    Trainer trainer(config);
    StageObserver observer([&](const StepMetrics &metrics) {
        DlpStudyProgress progress;
        progress.stage = stage;
        progress.detail = detail;
        progress.done = metrics.step;
        progress.total = metrics.totalSteps;
        progress.loss = metrics.loss;
        report(progress);
    });
    trainer.addObserver(&observer);
    const auto stageObservers
        = stageObservers_ ? stageObservers_(stage, detail) : std::vector<std::shared_ptr<TrainObserver>>{};
    for (const auto &extra : stageObservers)
        trainer.addObserver(extra.get());
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        trainer_ = &trainer;
    }
    RunOutcome outcome = RunOutcome::Failed;
    try {
        outcome = trainer.run();
    } catch (...) {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        trainer_ = nullptr;
        throw;
    }
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        trainer_ = nullptr;
    }
    if (outcome != RunOutcome::Finished)
        throw Error("DLP study", "stopped");
    if (afterRun)
        afterRun(trainer);
    return observer.last;
}

TaskLora DlpStudy::trainTaskLora(const std::string &task)
{
    RunConfig config = config_;
    config.name = config_.name + "-" + task;
    config.adapter.variant = "lora";
    config.data.tasks = {task};
    config.training.steps = config_.adapter.dlp.taskSteps;
    config.training.warmupSteps = std::min(config.training.warmupSteps, config.training.steps);
    config.training.outputDir = config_.training.outputDir + "/task-" + task;
    config.training.resumeFrom.clear();
    config.eval.every = 0;
    TaskLora lora;
    const auto metrics = runTrainer(config, "task lora", task, [&](Trainer &trainer) {
        lora = taskLoraFromModel(task, *trainer.model(), config.adapter);
    });
    lora.source = config.training.outputDir;
    lora.metrics["eval_loss"] = metrics.loss;
    const auto found = metrics.exactMatchByTask.find(task);
    if (found != metrics.exactMatchByTask.end())
        lora.metrics["exact_match"] = found->second;
    return lora;
}

std::map<std::string, double> DlpStudy::trainMultiTaskLora(std::int64_t rank)
{
    RunConfig config = config_;
    config.name = config_.name + "-multi-task";
    config.adapter.variant = "lora";
    config.adapter.alpha
        = config_.adapter.alpha * static_cast<double>(rank) / static_cast<double>(config_.adapter.rank);
    config.adapter.rank = rank;
    config.data.tasks = library_.tasks();
    config.training.steps = config_.adapter.dlp.taskSteps * library_.size();
    config.training.outputDir = config_.training.outputDir + "/multi-task";
    config.training.resumeFrom.clear();
    config.eval.every = 0;
    return runTrainer(config, "multi-task lora", "rank " + std::to_string(rank)).exactMatchByTask;
}

nlohmann::json toJson(const DlpStudyResult &result, const RunConfig &config)
{
    return {
        {"name", config.name},
        {"seed", config.seed},
        {"tasks", result.tasks},
        {"eval_examples", config.data.evalExamples},
        {"plugin",
         {{"kind", config.adapter.dlp.plugin.kind},
          {"parameters", result.plugin.parameters},
          {"width", result.pluginWidth},
          {"accuracy", result.plugin.heldOut.accuracy},
          {"examples", result.plugin.heldOut.examples},
          {"epoch_loss", result.plugin.epochLoss},
          {"seconds", result.plugin.seconds}}},
        {"exact_match",
         {{"fusion", result.fusion.exactMatch}, {"oracle", result.oracle}, {"multi_task", result.multiTask}}},
        {"multi_task_rank", result.multiTaskRank},
        {"mean_selected", result.fusion.meanSelected},
        {"inference_seconds",
         {{"fusion", result.fusionSeconds}, {"oracle", result.oracleSeconds}, {"single", result.singleSeconds}}},
    };
}

DlpStudyResult DlpStudy::run()
{
    RunInfo info;
    info.name = config_.name;
    info.variant = kDlpVariant;
    info.configJson = config_.toJson().dump();
    info.device = config_.device;
    info.seed = config_.seed;
    info.totalSteps = studyTrainingSteps(config_.adapter.dlp, config_.data.tasks);
    for (auto *observer : studyObservers_)
        observer->onRunStarted(info);
    const auto finish = [&](RunOutcome outcome, const std::string &message) {
        for (auto *observer : studyObservers_)
            observer->onRunFinished(outcome, message);
    };
    try {
        auto result = runStages();
        const EvalMetrics evaluation = studyEvaluation(result);
        for (auto *observer : studyObservers_)
            observer->onEval(evaluation);
        finish(RunOutcome::Finished, "");
        return result;
    } catch (const std::exception &error) {
        if (stopRequested_.load())
            finish(RunOutcome::Cancelled, "stopped by request");
        else
            finish(RunOutcome::Failed, error.what());
        throw;
    }
}

EvalMetrics DlpStudy::studyEvaluation(const DlpStudyResult &result) const
{
    EvalMetrics metrics;
    metrics.step = studyTrainingSteps(config_.adapter.dlp, config_.data.tasks);
    metrics.exactMatchByTask = result.fusion.exactMatch;
    DlpStudyEval dlp;
    dlp.tasks = result.tasks;
    for (const auto &lora : library_.entries()) {
        if (const auto found = lora.metrics.find("exact_match"); found != lora.metrics.end())
            dlp.ownExactMatch[lora.task] = found->second;
    }
    dlp.oracleExactMatch = result.oracle;
    dlp.multiTaskExactMatch = result.multiTask;
    dlp.multiTaskRank = result.multiTaskRank;
    dlp.pluginAccuracy = result.plugin.heldOut.accuracy;
    dlp.pluginExamples = result.plugin.heldOut.examples;
    dlp.pluginParameters = result.plugin.parameters;
    const auto toDouble = [](const std::vector<std::vector<std::int64_t>> &counts) {
        std::vector<std::vector<double>> rows;
        rows.reserve(counts.size());
        for (const auto &row : counts)
            rows.emplace_back(row.begin(), row.end());
        return rows;
    };
    dlp.pluginConfusion = toDouble(result.plugin.heldOut.confusion);
    dlp.selections = toDouble(result.fusion.selectionsByTask);
    dlp.selectionCounts.assign(result.fusion.selectionCounts.begin(), result.fusion.selectionCounts.end());
    dlp.meanSelected = result.fusion.meanSelected;
    metrics.dlp = std::move(dlp);
    return metrics;
}

DlpStudyResult DlpStudy::runStages()
{
    configureThreads(static_cast<int>(config_.threads));
    const auto &dlp = config_.adapter.dlp;
    const auto entries = effectiveLibrary(dlp, config_.data.tasks);
    if (entries.size() < 2)
        throw Error("adapter.dlp.library",
                    "a DLP study needs at least two task LoRAs, got " + std::to_string(entries.size()));

    // The folder describes itself: DlpModel::loadStudyFolder() and the bundle
    // export read this config back.
    std::filesystem::create_directories(config_.training.outputDir);
    writeFileAtomically(DlpModel::configFile(config_.training.outputDir), config_.toJson().dump(2) + "\n");

    // 1. The library.
    library_ = TaskLoraLibrary();
    for (const auto &entry : entries)
        library_.add(entry.source == "train" ? trainTaskLora(entry.task)
                                             : loadLibraryEntry(entry.task, entry.source, config_.model));
    DlpStudyResult result;
    result.tasks = library_.tasks();
    result.outputDir = config_.training.outputDir;

    // 2. The multi-task baseline of equal total rank.
    for (const auto &lora : library_.entries())
        result.multiTaskRank += lora.rank;
    result.multiTask = trainMultiTaskLora(result.multiTaskRank);
    throwIfStopped();

    // 3. The base with the fused library, and the plugin.
    model_ = std::make_unique<DlpModel>(config_, library_);
    DlpPlugin &plugin = model_->plugin();
    result.pluginWidth = plugin->width();

    // The library's tasks from the run's data (the built-in suite or a JSONL
    // dataset), read once: the plugin's prompts come from its training stream
    // and its held-out side; the routed evaluation uses the first
    // data.eval_examples of that side, the plugin the first
    // plugin.eval_examples (both sources give their held-out examples in a
    // fixed order, so these are what a source of either size would give).
    DataConfig libraryData = config_.data;
    libraryData.tasks = result.tasks;
    libraryData.evalExamples = std::max(config_.data.evalExamples, dlp.plugin.evalExamples);
    const SequenceFormat &format = model_->format();
    const auto data = makeTaskData(libraryData, config_.seed, format);
    const auto heldOut = [&](std::int64_t count) {
        const auto &examples = data->evalExamples();
        return std::vector<TaskExample>(examples.begin(),
                                        examples.begin() + std::min<std::ptrdiff_t>(count, examples.size()));
    };
    std::vector<TaskExample> trainPrompts;
    for (std::int64_t i = 0; i < dlp.plugin.trainExamples; ++i)
        trainPrompts.push_back(data->trainExample(static_cast<std::uint64_t>(i)));
    PluginTrainingOptions training;
    training.epochs = dlp.plugin.epochs;
    training.lr = dlp.plugin.lr;
    training.batchSize = dlp.plugin.batchSize;
    training.seed = config_.seed;
    result.plugin = trainPlugin(*plugin, pluginExamples(trainPrompts, result.tasks, format),
                                pluginExamples(heldOut(dlp.plugin.evalExamples), result.tasks, format), training,
                                [&](std::int64_t epoch, std::int64_t epochs, double loss) {
                                    DlpStudyProgress progress;
                                    progress.stage = "plugin";
                                    progress.done = epoch;
                                    progress.total = epochs;
                                    progress.loss = loss;
                                    report(progress);
                                    return !stopRequested_.load();
                                });
    throwIfStopped();
    std::filesystem::create_directories(config_.training.outputDir);
    torch::save(plugin, DlpModel::pluginFile(config_));

    // 4-5. Routed evaluation on the run's held-out examples (those the multi-task run scored).
    DlpRouter router = model_->router();
    const auto evalExamples = heldOut(config_.data.evalExamples);
    RoutedGenerationOptions generation;
    generation.granularity = granularityFromString(dlp.granularity);
    const auto fusionBegan = std::chrono::steady_clock::now();
    result.fusion = fusionExactMatch(
        model_->base(), model_->adapters(), router, result.tasks, format, evalExamples, generation, model_->device(),
        [&](std::int64_t done, std::int64_t total, const std::vector<std::int64_t> &counts) {
            DlpStudyProgress progress;
            progress.stage = "evaluation";
            progress.detail = "fusion";
            progress.done = done;
            progress.total = total;
            progress.selectionCounts = counts;
            report(progress);
        });
    result.fusionSeconds = secondsSince(fusionBegan);
    const auto oracleBegan = std::chrono::steady_clock::now();
    result.oracle = oracleExactMatch(model_->base(), model_->adapters(), result.tasks, format, evalExamples,
                                     generation.maxNewTokens, model_->device());
    result.oracleSeconds = secondsSince(oracleBegan);
    {
        auto first = torch::zeros({static_cast<std::int64_t>(evalExamples.size()), library_.size()}, torch::kFloat64);
        first.select(1, 0).fill_(1.0);
        std::vector<std::string> prompts;
        prompts.reserve(evalExamples.size());
        for (const auto &example : evalExamples)
            prompts.push_back(example.prompt);
        const auto singleBegan = std::chrono::steady_clock::now();
        generateWithWeights(model_->base(), model_->adapters(), first, format, prompts, generation.maxNewTokens,
                            model_->device());
        result.singleSeconds = secondsSince(singleBegan);
    }
    writeFileAtomically(config_.training.outputDir + "/dlp_result.json", toJson(result, config_).dump(2) + "\n");
    return result;
}

RoutedGeneration DlpStudy::generate(const std::string &prompt, std::int64_t maxNewTokens)
{
    if (!model_)
        throw Error("DLP study", "generate() needs a finished run()");
    return model_->generate(prompt, maxNewTokens);
}

} // namespace lwb
