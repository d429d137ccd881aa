// See trainer.h.
#include "engine/train/trainer.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/reslora_merge.h"
#include "engine/adapters/variant_traits.h"
#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/core/seed_mix.h"
#include "engine/dist/eval_sync.h"
#include "engine/dist/gradient_sync.h"
#include "engine/dist/routing_stats_sync.h"
#include "engine/eval/evaluator.h"
#include "engine/train/checkpoint.h"
#include "engine/train/fused_linear_cross_entropy.h"
#include "engine/train/gradient_norm.h"
#include "engine/train/lr_schedule.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <limits>
#include <sstream>
#include <thread>

namespace lwb {

namespace {

double nowSeconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Dropout's generator state for one step: a function of (seed, step) only,
// and of the rank in a data-parallel run (each rank's rows draw their own masks).
std::uint64_t stepSeed(std::uint64_t seed, std::int64_t stepIndex, const Communicator &communicator)
{
    const auto stepStream = streamSeed(seed, static_cast<std::uint64_t>(stepIndex));
    return communicator.distributed() ? streamSeed(stepStream, static_cast<std::uint64_t>(communicator.rank()))
                                      : stepStream;
}

// Rank r's rows of a micro-batch of `rows`: [rows*r/N, rows*(r+1)/N).
std::pair<std::int64_t, std::int64_t> rowsOfRank(std::int64_t rows, const Communicator &communicator)
{
    const auto ranks = static_cast<std::int64_t>(communicator.worldSize());
    const auto rank = static_cast<std::int64_t>(communicator.rank());
    const auto first = rows * rank / ranks;
    return {first, rows * (rank + 1) / ranks - first};
}

} // namespace

std::string newRunFolder(const std::string &runName)
{
    std::string base;
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        base = xdg;
    else if (const char *home = std::getenv("HOME"); home && *home)
        base = std::string(home) + "/.local/share";
    else
        base = ".";
    const auto now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    const std::filesystem::path runs = base + "/lora-workbench/runs";
    std::error_code error;
    std::filesystem::create_directories(runs, error);
    if (error)
        throw Error(runs.string(), "cannot create the runs folder: " + error.message());
    // create_directory is the claim: false when the folder exists, so two runs
    // of one name started in the same second (two devices, two terminals)
    // never share a folder and overwrite each other's checkpoints.
    const std::string stem = (runs / (runName + "-" + stamp)).string();
    for (int attempt = 1;; ++attempt) {
        const auto folder = attempt == 1 ? stem : stem + "-" + std::to_string(attempt);
        if (std::filesystem::create_directory(folder, error))
            return folder;
        if (error)
            throw Error(folder, "cannot create the run's folder: " + error.message());
    }
}

Trainer::Trainer(RunConfig config, std::shared_ptr<Communicator> communicator)
    : Trainer(std::move(config), TrainingParts{}, std::move(communicator))
{
}

Trainer::Trainer(RunConfig config, TrainingParts parts, std::shared_ptr<Communicator> communicator)
    : config_(std::move(config))
    , communicator_(communicator ? std::move(communicator) : std::make_shared<Communicator>())
    , parts_(std::move(parts))
{
    // Rank 0's folder; the others learn its name in prepare() and write nothing.
    if (config_.training.outputDir.empty() && communicator_->isRoot())
        config_.training.outputDir = newRunFolder(config_.name);
}

Trainer::~Trainer() = default;

void Trainer::addObserver(TrainObserver *observer)
{
    observers_.push_back(observer);
}

void Trainer::requestStop()
{
    stopRequested_.store(true);
}

void Trainer::prepare()
{
    if (const auto &variant = variantTraitsOf(config_.adapter.variant); variant.isStudy)
        throw Error("adapter.variant", "\"" + variant.name
                                           + "\" is a study of several runs: start it with its study "
                                             "(lorawb dlp), not as one training");
    auto &ranks = *communicator_;
    // Ranks on one machine share its cores: "one per hardware thread" is split.
    auto threads = static_cast<int>(config_.threads);
    if (threads <= 0 && ranks.localWorldSize() > 1)
        threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / ranks.localWorldSize());
    configureThreads(threads);
    device_ = ranks.distributed() ? ranks.device() : parseDevice(config_.device);
    if (ranks.distributed()) {
        config_.training.outputDir = ranks.fromRoot("output_dir", config_.training.outputDir);
        ranks.requireSameOnAllRanks("config", config_.toJson().dump(), "the run config");
        if (config_.training.batchSize < ranks.worldSize())
            throw Error("training.batch_size", std::to_string(config_.training.batchSize) + " rows cannot be shared by "
                                                   + std::to_string(ranks.worldSize())
                                                   + " ranks: each rank needs at least one row of every micro-batch");
    }

    precision_ = resolvePrecision(config_.training.precision, device_);
    if (!parts_.complete())
        parts_ = buildTrainingParts(config_, device_, precision_);
    model_ = parts_.model;
    parameters_ = parts_.parameters;
    optimizer_ = std::move(parts_.optimizer);
    data_ = std::move(parts_.data);
    if (precision_ == Precision::Fp16)
        lossScaler_ = std::make_unique<DynamicLossScaler>();

    if (!config_.training.resumeFrom.empty()) {
        const auto path = resolveCheckpoint(config_.training.resumeFrom);
        const auto info = loadCheckpoint(path, *model_, *optimizer_);
        if (info.worldSize != ranks.worldSize())
            throw Error(path, "was written by a run of " + std::to_string(info.worldSize) + " rank(s); this one has "
                                  + std::to_string(ranks.worldSize())
                                  + ": resume with the same number of ranks (dropout streams and SiRA's "
                                    "per-rank capacity depend on it)");
        if (info.step >= config_.training.steps)
            throw Error(path, "checkpoint is at step " + std::to_string(info.step) + ", the run has only "
                                  + std::to_string(config_.training.steps) + " steps");
        startStep_ = info.step;
        // Tokens seen before the checkpoint, recounted from the data stream (cheap, exact).
        for (std::int64_t micro = 0; micro < startStep_ * config_.training.gradAccum; ++micro)
            tokensSeen_ += data_->trainBatch(micro, config_.training.batchSize).inputTokens;
    }
    // Every rank starts from rank 0's adapter (and resumed) weights.
    ranks.broadcastFromRoot(parameters_, "the initial parameters' broadcast");
    gradientSync_ = std::make_unique<GradientSync>(parameters_, ranks, config_.training.overlapGradSync);
}

bool Trainer::stopAgreed()
{
    if (communicator_->anyRank(stopRequested_.load(), "the stop agreement"))
        stopRequested_.store(true);
    return stopRequested_.load();
}

StepMetrics Trainer::trainStep(std::int64_t stepIndex)
{
    const auto &training = config_.training;
    const double began = nowSeconds();
    torch::manual_seed(stepSeed(config_.seed, stepIndex, *communicator_));
    model_->train();
    optimizer_->zero_grad();

    std::vector<Batch> micro;
    const auto [firstRow, rows] = rowsOfRank(training.batchSize, *communicator_);
    auto counts = torch::zeros({2}, torch::kInt64); // scored and input tokens of the step, all ranks
    for (std::int64_t m = 0; m < training.gradAccum; ++m) {
        micro.push_back(data_->trainRows((stepIndex * training.gradAccum + m) * training.batchSize + firstRow, rows));
        counts[0] += micro.back().scoredTokens;
        counts[1] += micro.back().inputTokens;
    }
    const auto ownInputTokens = counts[1].item<std::int64_t>();
    communicator_->sumInPlace(counts, "the step's token counts");
    const auto scored = counts[0].item<std::int64_t>();
    const auto inputTokens = counts[1].item<std::int64_t>();

    // Divide the summed token losses by the tokens of the whole step: with
    // accumulation the gradient is exactly that of one batch of all of them.
    // The step's figures are summed on the device (float64, in the order
    // the host used to add them) and read once, after the last backward.
    const auto layers = adaptedLayers(*model_);
    const auto sumOptions = torch::TensorOptions().dtype(torch::kFloat64).device(device_);
    auto lossSum = torch::zeros({}, sumOptions);
    auto auxSumOfStep = torch::zeros({}, sumOptions);
    StepMetrics metrics;
    for (const auto &batch : micro) {
        torch::Tensor tokenLoss, objective;
        {
            AutocastScope autocast(device_.type(), precision_);
            const auto hidden = model_->hiddenStates(batch.inputIds.to(device_), batch.tokenMask.to(device_));
            // The fused loss returns its input's dtype: float32 hidden states
            // keep the loss a float32 sum whatever the forward computed in
            // (its products still run in the autocast dtype).
            auto flat = hidden.reshape({-1, hidden.size(-1)});
            if (precision_ != Precision::Fp32)
                flat = flat.to(torch::kFloat32);
            tokenLoss = fusedLinearCrossEntropy(flat, model_->outputWeight(), batch.labels.to(device_).reshape({-1}),
                                                /*chunkTokens=*/0, model_->config().finalLogitSoftcap);
            objective = tokenLoss / static_cast<double>(std::max<std::int64_t>(1, scored));
            // Auxiliary losses (SiRA's balance loss) count as their mean over the
            // layers that have one, once per step: each micro-batch adds 1/accum
            // (and each rank 1/ranks: their mean over the ranks).
            torch::Tensor auxSum;
            std::int64_t auxLayers = 0;
            for (const auto &entry : layers) {
                const auto aux = entry.layer->adapter()->auxLoss();
                if (aux.defined()) {
                    auxSum = auxSum.defined() ? auxSum + aux : aux;
                    ++auxLayers;
                }
            }
            if (auxLayers > 0) {
                const auto aux
                    = auxSum / static_cast<double>(auxLayers * training.gradAccum * communicator_->worldSize());
                objective = objective + aux;
                auxSumOfStep += aux.detach().to(torch::kFloat64);
            }
        }
        const auto loss = lossScaler_ ? lossScaler_->scaleLoss(objective) : objective;
        if (&batch == &micro.back())
            gradientSync_->beforeLastBackward(loss); // buckets may start summing during this backward
        loss.backward();
        lossSum += tokenLoss.detach().to(torch::kFloat64);
    }
    for (const auto &entry : layers)
        entry.layer->adapter()->takeStats(entry.site.path, metrics.adapter);
    gradientSync_->finish();
    mergeRoutingStats(metrics.adapter, *communicator_);
    auto lossAndAux = torch::stack({lossSum, auxSumOfStep});
    communicator_->sumInPlace(lossAndAux, "the step's loss");

    const double lossScale = lossScaler_ ? lossScaler_->scale() : 0.0;
    const auto overflow = lossScaler_ ? lossScaler_->unscale(parameters_) : torch::zeros({}, sumOptions);
    const double maxNorm = training.maxGradNorm > 0.0 ? training.maxGradNorm : std::numeric_limits<double>::infinity();
    const auto gradNorm = clipGradientNorm(parameters_, maxNorm);
    // The one host read of the step.
    const auto figures
        = torch::cat({lossAndAux, gradNorm.to(sumOptions).reshape({1}), overflow.to(sumOptions).reshape({1})})
              .to(torch::kCPU);
    const auto *figure = figures.data_ptr<double>();
    metrics.loss = figure[0] / static_cast<double>(std::max<std::int64_t>(1, scored));
    metrics.adapter.auxLoss += figure[1];
    metrics.gradNorm = figure[2];
    const bool overflowed = figure[3] != 0.0; // fp16 only: the scaled gradients overflowed
    if (!std::isfinite(metrics.loss) || (!overflowed && !std::isfinite(metrics.gradNorm)))
        stopOnNonFinite(stepIndex, metrics.loss, metrics.gradNorm);
    metrics.learningRate
        = learningRateAt(stepIndex, training.steps, training.warmupSteps, training.lr, training.minLrRatio);
    metrics.lossScale = lossScale;
    if (lossScaler_ && !lossScaler_->update(overflowed)) {
        metrics.stepSkipped = true;
        metrics.gradNorm = 0.0; // not a norm of this step's update: there is none
    } else {
        for (auto &group : optimizer_->param_groups())
            static_cast<torch::optim::AdamWOptions &>(group.options()).lr(metrics.learningRate);
        optimizer_->step();
    }

    tokensSeen_ += inputTokens;
    const double seconds = std::max(1e-9, nowSeconds() - began);
    metrics.step = stepIndex + 1;
    metrics.totalSteps = training.steps;
    metrics.tokens = tokensSeen_;
    metrics.tokensPerSecond = static_cast<double>(inputTokens) / seconds;
    if (communicator_->distributed()) {
        auto rates = torch::zeros({communicator_->worldSize()}, torch::kFloat64);
        rates[communicator_->rank()] = static_cast<double>(ownInputTokens) / seconds;
        communicator_->sumInPlace(rates, "the ranks' throughput");
        metrics.rankTokensPerSecond.assign(rates.data_ptr<double>(), rates.data_ptr<double>() + rates.numel());
    }
    metrics.peakMemoryBytes = peakMemoryBytes(device_);
    metrics.wallSeconds = nowSeconds() - startTime_;
    return metrics;
}

void Trainer::stopOnNonFinite(std::int64_t stepIndex, double loss, double gradNorm)
{
    std::string saved = "no checkpoint was written (no step had completed)";
    if (stepIndex > startStep_)
        saved = "the parameters after step " + std::to_string(stepIndex) + " are saved in " + checkpoint(stepIndex)
                + " (training.resume_from continues from them)";
    std::ostringstream what;
    what << "the loss (" << loss << ") or the gradient norm (" << gradNorm
         << ") is not finite; the run stopped before this step's update, and " << saved
         << ". A run whose loss grew before this has diverged: a lower training.lr or adapter.alpha may help";
    throw Error("step " + std::to_string(stepIndex + 1), what.str());
}

EvalMetrics Trainer::evaluate(std::int64_t step, bool withExactMatch)
{
    // The stop flag is checked between batches and generated tokens too: a
    // cancel never waits for a whole evaluation (EvaluationStopped, see run()).
    // Periodic evaluations and a "limited" final one read the first
    // eval.max_examples examples; a "full" final one reads them all.
    AutocastScope autocast(device_.type(), precision_); // a bf16/fp16 base computes as in training
    const auto &eval = config_.eval;
    const auto limit = withExactMatch && eval.final == "full" ? 0 : eval.maxExamples;
    EvalOptions options;
    // A data-parallel rank finishes the evaluation: a stop is agreed at the next step boundary.
    options.stop = communicator_->distributed() ? nullptr : &stopRequested_;
    options.batchSize = eval.batchSize;
    options.routedDecoding
        = eval.siraDecodeCapacity == "per_pass" ? RoutedDecoding::PerPass : RoutedDecoding::FullSequence;
    options.progress = [this](const EvalProgress &progress) {
        for (auto *observer : observers_)
            observer->onEvalProgress(progress);
    };
    const auto batches = firstExamples(data_->evalBatches(eval.batchSize), limit);
    auto examples = data_->evalExamples();
    if (limit > 0 && static_cast<std::int64_t>(examples.size()) > limit)
        examples.resize(static_cast<std::size_t>(limit));
    // Data-parallel: each rank takes its share and the figures are summed
    // (engine/dist/eval_sync.h); a routing variant's loss pass runs whole.
    auto &ranks = *communicator_;
    const auto &variant = variantTraitsOf(config_.adapter.variant);
    const auto lossBatches = variant.reportsRouting ? batches : shareOfRank(batches, ranks);
    const auto myExamples = shareOfRank(examples, ranks);
    const auto loss = [&] {
        auto metrics = evaluateLoss(*model_, lossBatches, device_, options);
        if (!variant.reportsRouting)
            sumEvalLoss(metrics, ranks);
        return metrics;
    };
    const auto exactMatch = [&] {
        auto byTask = exactMatchByTask(*model_, myExamples, data_->format(), device_, options);
        sumExactMatch(byTask, myExamples, examples, ranks);
        return byTask;
    };
    auto metrics = loss();
    metrics.step = step;
    if (withExactMatch)
        metrics.exactMatchByTask = exactMatch();
    // The final evaluation of a ResLoRA run is repeated on the merged model,
    // the one export writes, so the run shows what merging costs.
    if (withExactMatch && variant.evaluatesMergedModel) {
        MergedResLoraSwap merged(*model_);
        const auto after = loss();
        metrics.hasMergedEval = true;
        metrics.mergedLoss = after.loss;
        metrics.mergedPerplexity = after.perplexity;
        metrics.mergedExactMatchByTask = exactMatch();
    }
    for (auto *observer : observers_)
        observer->onEval(metrics);
    return metrics;
}

std::string Trainer::checkpoint(std::int64_t step)
{
    if (!communicator_->isRoot())
        return config_.training.outputDir; // rank 0 writes it
    const auto path = saveCheckpoint(config_.training.outputDir, step, config_.toJson().dump(), *model_, *optimizer_,
                                     communicator_->worldSize());
    for (auto *observer : observers_)
        observer->onCheckpoint(step, path);
    return path;
}

RunOutcome Trainer::run()
{
    startTime_ = nowSeconds();
    try {
        prepare();
        RunInfo info;
        info.name = config_.name;
        info.variant = config_.adapter.variant;
        info.configJson = config_.toJson().dump(2);
        info.device = config_.device;
        if (communicator_->distributed())
            info.device = device_.str() + " x " + std::to_string(communicator_->worldSize()) + " ranks ("
                          + communicator_->backendName() + ")";
        info.seed = config_.seed;
        info.totalSteps = config_.training.steps;
        info.startStep = startStep_;
        info.skippedDataLines = data_->skippedLines();
        for (const auto &parameter : model_->parameters()) {
            info.totalParameters += parameter.numel();
            if (parameter.requires_grad())
                info.trainableParameters += parameter.numel();
        }
        for (auto *observer : observers_)
            observer->onRunStarted(info);

        const auto &training = config_.training;
        std::int64_t step = startStep_;
        // Cancelled at `step`: the checkpoint of the steps done, then the outcome.
        auto cancelled = [&](const std::string &where) {
            if (step > startStep_)
                checkpoint(step);
            for (auto *observer : observers_)
                observer->onRunFinished(RunOutcome::Cancelled, "stopped at step " + std::to_string(step) + where);
            return RunOutcome::Cancelled;
        };
        try {
            while (step < training.steps && !stopAgreed()) {
                const auto metrics = trainStep(step);
                ++step;
                communicator_->reportProgress(step);
                losses_.push_back(metrics.loss);
                for (auto *observer : observers_)
                    observer->onStep(metrics);
                const bool last = step == training.steps;
                if (!last && config_.eval.every > 0 && step % config_.eval.every == 0)
                    evaluate(step, /*withExactMatch=*/false);
                if (!last && training.checkpointEvery > 0 && step % training.checkpointEvery == 0)
                    checkpoint(step);
            }
            if (stopRequested_.load() && step < training.steps)
                return cancelled("");
            if (config_.eval.final != "off")
                evaluate(step, /*withExactMatch=*/true);
        } catch (const EvaluationStopped &) {
            return cancelled(" (during the evaluation)");
        }
        checkpoint(step);
        for (auto *observer : observers_)
            observer->onRunFinished(RunOutcome::Finished, "");
        return RunOutcome::Finished;
    } catch (const std::exception &error) {
        const std::string message = error.what();
        communicator_->reportFailure(message);
        for (auto *observer : observers_)
            observer->onRunFinished(RunOutcome::Failed, message);
        throw;
    }
}

} // namespace lwb
