// See dlp_study.h.
#include "engine/dlp/dlp_study.h"

#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/data/batch_builder.h"
#include "engine/train/trainer.h"

#include <torch/serialize.h>

#include <algorithm>
#include <filesystem>

namespace lwb {

namespace {

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

torch::Tensor inputEmbeddings(torch::nn::Module &model)
{
    for (const auto &item : model.named_parameters()) {
        if (item.key() == "transformer.wte.weight" || item.key() == "model.embed_tokens.weight")
            return item.value().detach();
    }
    throw Error("adapter.dlp.plugin.embedding", "the base model has no input embedding table");
}

} // namespace

DlpStudy::DlpStudy(RunConfig config)
    : config_(std::move(config))
{
    if (config_.adapter.variant != kDlpVariant)
        throw Error("adapter.variant", "a DLP-LoRA study needs \"dlp\", got \"" + config_.adapter.variant + "\"");
    if (config_.training.outputDir.empty())
        config_.training.outputDir = defaultOutputDir(config_.name);
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
                                 std::function<void(Trainer &)> afterRun)
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
    config.adapter.alpha = config_.adapter.alpha * static_cast<double>(rank) / static_cast<double>(config_.adapter.rank);
    config.adapter.rank = rank;
    config.data.tasks = library_.tasks();
    config.training.steps = config_.adapter.dlp.taskSteps * library_.size();
    config.training.outputDir = config_.training.outputDir + "/multi-task";
    config.training.resumeFrom.clear();
    config.eval.every = 0;
    return runTrainer(config, "multi-task lora", "rank " + std::to_string(rank)).exactMatchByTask;
}

DlpStudyResult DlpStudy::run()
{
    configureThreads(static_cast<int>(config_.threads));
    device_ = parseDevice(config_.device);
    const auto &dlp = config_.adapter.dlp;
    const auto entries = effectiveLibrary(dlp, config_.data.tasks);
    if (entries.size() < 2)
        throw Error("adapter.dlp.library", "a DLP study needs at least two task LoRAs, got "
                                               + std::to_string(entries.size()));

    // 1. The library.
    library_ = TaskLoraLibrary();
    for (const auto &entry : entries)
        library_.add(entry.source == "train" ? trainTaskLora(entry.task) : loadTaskLora(entry.task, entry.source));
    DlpStudyResult result;
    result.tasks = library_.tasks();
    result.outputDir = config_.training.outputDir;

    // 2. The multi-task baseline of equal total rank.
    for (const auto &lora : library_.entries())
        result.multiTaskRank += lora.rank;
    result.multiTask = trainMultiTaskLora(result.multiTaskRank);
    throwIfStopped();

    // 3. The base with the fused library, and the plugin.
    model_ = CausalLM(config_.model);
    adapters_ = attachFusedLibrary(*model_, library_);
    model_->to(device_);
    PluginOptions options;
    options.vocabSize = config_.model.vocabSize;
    options.tasks = library_.size();
    options.baseEmbedding = dlp.plugin.embedding == "base";
    options.embeddingDim = dlp.plugin.embeddingDim;
    options.layers = dlp.plugin.layers;
    options.width = dlp.plugin.width;
    options.targetParams = dlp.plugin.targetParams;
    torch::manual_seed(config_.seed);
    plugin_ = PluginClassifier(options, options.baseEmbedding ? inputEmbeddings(*model_).to(torch::kCPU) : torch::Tensor());
    result.pluginWidth = plugin_->width();

    const TaskGenerator trainStream(result.tasks, config_.seed);
    std::vector<TaskExample> trainPrompts;
    for (std::int64_t i = 0; i < dlp.plugin.trainExamples; ++i)
        trainPrompts.push_back(trainStream.example(static_cast<std::uint64_t>(i)));
    const TaskData heldOut(result.tasks, config_.seed, config_.data.seqLen, dlp.plugin.evalExamples);
    const ByteTokenizer tokenizer;
    PluginTrainingOptions training;
    training.epochs = dlp.plugin.epochs;
    training.lr = dlp.plugin.lr;
    training.batchSize = dlp.plugin.batchSize;
    training.seed = config_.seed;
    result.plugin = trainPlugin(*plugin_, pluginExamples(trainPrompts, result.tasks, tokenizer),
                                pluginExamples(heldOut.evalExamples(), result.tasks, tokenizer), training,
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
    torch::save(plugin_, config_.training.outputDir + "/plugin.pt");

    // 4-5. Routed evaluation on the run's held-out examples (those the multi-task run scored).
    router_ = std::make_unique<DlpRouter>(pluginProbabilities(plugin_), library_.size(),
                                          selectionOptions(dlp.selection.rule, dlp.selection.p, dlp.selection.k,
                                                           dlp.selection.weights));
    const TaskData evalData(result.tasks, config_.seed, config_.data.seqLen, config_.data.evalExamples);
    RoutedGenerationOptions generation;
    generation.granularity = granularityFromString(dlp.granularity);
    result.fusion = fusionExactMatch(*model_, adapters_, *router_, result.tasks, tokenizer, evalData.evalExamples(),
                                     generation, device_,
                                     [&](std::int64_t done, std::int64_t total, const std::vector<std::int64_t> &counts) {
                                         DlpStudyProgress progress;
                                         progress.stage = "evaluation";
                                         progress.detail = "fusion";
                                         progress.done = done;
                                         progress.total = total;
                                         progress.selectionCounts = counts;
                                         report(progress);
                                     });
    result.oracle = oracleExactMatch(*model_, adapters_, result.tasks, tokenizer, evalData.evalExamples(),
                                     generation.maxNewTokens, device_);
    return result;
}

RoutedGeneration DlpStudy::generate(const std::string &prompt, std::int64_t maxNewTokens)
{
    if (!router_)
        throw Error("DLP study", "generate() needs a finished run()");
    RoutedGenerationOptions options;
    options.granularity = granularityFromString(config_.adapter.dlp.granularity);
    options.maxNewTokens = maxNewTokens;
    return generateRouted(*model_, adapters_, *router_, ByteTokenizer(), {prompt}, options, device_).front();
}

} // namespace lwb
