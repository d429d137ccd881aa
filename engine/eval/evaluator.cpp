// See evaluator.h.
#include "engine/eval/evaluator.h"

#include "engine/adapters/adapter_registry.h"

#include <torch/nn/functional/loss.h>

#include <cmath>

namespace lwb {

namespace {

// Sums the adapters' task x expert assignment counts over layers and turns
// each task's row into shares. Empty when no adapter routes.
std::map<std::string, std::vector<double>> expertShareByTask(const std::vector<AdaptedLayer> &layers,
                                                             const std::vector<std::string> &taskNames)
{
    const auto tasks = static_cast<std::int64_t>(taskNames.size());
    torch::Tensor counts;
    for (const auto &entry : layers) {
        const auto routing = entry.layer->adapter()->takeTaskRouting();
        if (!routing.defined() || routing.size(0) == 0)
            continue;
        // Rows stop at the highest task index a layer saw: pad to all tasks.
        auto padded = torch::zeros({tasks, routing.size(1)}, torch::kFloat64);
        padded.narrow(0, 0, std::min(tasks, routing.size(0)))
            .copy_(routing.narrow(0, 0, std::min(tasks, routing.size(0))));
        counts = counts.defined() ? counts + padded : padded;
    }
    std::map<std::string, std::vector<double>> shares;
    if (!counts.defined())
        return shares;
    for (std::int64_t t = 0; t < tasks; ++t) {
        const auto row = counts[t];
        const double total = row.sum().item<double>();
        if (total <= 0.0)
            continue;
        std::vector<double> share;
        for (std::int64_t e = 0; e < row.size(0); ++e)
            share.push_back(row[e].item<double>() / total);
        shares[taskNames[static_cast<std::size_t>(t)]] = std::move(share);
    }
    return shares;
}

// Eval mode for the guard's life; the mode found comes back however it ends
// (EvaluationStopped included).
class EvalModeGuard
{
public:
    explicit EvalModeGuard(CausalLMImpl &model)
        : model_(model)
        , wasTraining_(model.is_training())
    {
        model_.eval();
    }
    ~EvalModeGuard() { model_.train(wasTraining_); }
    EvalModeGuard(const EvalModeGuard &) = delete;
    EvalModeGuard &operator=(const EvalModeGuard &) = delete;

private:
    CausalLMImpl &model_;
    bool wasTraining_;
};

void throwIfStopped(const std::atomic<bool> *stop)
{
    if (stop != nullptr && stop->load())
        throw EvaluationStopped();
}

} // namespace

std::vector<Batch> firstExamples(const std::vector<Batch> &batches, std::int64_t examples)
{
    if (examples <= 0)
        return batches;
    std::vector<Batch> kept;
    for (const auto &batch : batches) {
        if (examples <= 0)
            break;
        const auto rows = batch.inputIds.size(0);
        if (rows <= examples) {
            kept.push_back(batch);
        } else {
            Batch cut;
            cut.inputIds = batch.inputIds.narrow(0, 0, examples);
            cut.labels = batch.labels.narrow(0, 0, examples);
            cut.tokenMask = batch.tokenMask.narrow(0, 0, examples);
            cut.inputTokens = cut.tokenMask.sum().item<std::int64_t>();
            cut.scoredTokens = cut.labels.ne(kIgnoreLabel).sum().item<std::int64_t>();
            cut.tasks.assign(batch.tasks.begin(), batch.tasks.begin() + examples);
            kept.push_back(std::move(cut));
        }
        examples -= rows;
    }
    return kept;
}

EvalMetrics evaluateLoss(CausalLMImpl &model, const std::vector<Batch> &batches, const torch::Device &device,
                         const EvalOptions &options)
{
    const auto *stop = options.stop;
    torch::NoGradGuard noGrad;
    EvalModeGuard evalMode(model);
    // Task labels go with each sequence, so routed adapters can tell which
    // experts each task uses.
    std::map<std::string, std::int64_t> taskIndex;
    for (const auto &batch : batches)
        for (const auto &task : batch.tasks)
            taskIndex.emplace(task, 0);
    std::vector<std::string> taskNames;
    for (auto &[task, index] : taskIndex) {
        index = static_cast<std::int64_t>(taskNames.size());
        taskNames.push_back(task);
    }
    const auto layers = adaptedLayers(model);
    for (const auto &entry : layers)
        entry.layer->adapter()->takeTaskRouting(); // start from zero

    double lossSum = 0.0;
    std::int64_t scored = 0;
    std::int64_t total = 0, done = 0;
    for (const auto &batch : batches)
        total += batch.inputIds.size(0);
    const EvalProgressClock clock("loss", total, options.progress);
    clock.report(0);
    for (const auto &batch : batches) {
        throwIfStopped(stop);
        std::vector<std::int64_t> tasks;
        for (const auto &task : batch.tasks)
            tasks.push_back(taskIndex.at(task));
        const auto sequenceTasks = torch::tensor(tasks, torch::kInt64).to(device);
        const auto logits = model.forward(batch.inputIds.to(device), batch.tokenMask.to(device), sequenceTasks);
        const auto loss = torch::nn::functional::cross_entropy(
            logits.reshape({-1, logits.size(-1)}).to(torch::kFloat64), batch.labels.to(device).reshape({-1}),
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kSum));
        lossSum += loss.item<double>();
        scored += batch.scoredTokens;
        done += batch.inputIds.size(0);
        clock.report(done);
    }
    EvalMetrics metrics;
    metrics.expertShareByTask = expertShareByTask(layers, taskNames);
    metrics.tokens = scored;
    metrics.loss = scored > 0 ? lossSum / static_cast<double>(scored) : 0.0;
    metrics.perplexity = std::exp(metrics.loss);
    return metrics;
}

std::map<std::string, double> exactMatchByTask(CausalLMImpl &model, const std::vector<TaskExample> &examples,
                                               const SequenceFormat &format, const torch::Device &device,
                                               const EvalOptions &options)
{
    torch::NoGradGuard noGrad;
    EvalModeGuard evalMode(model);
    const auto *stop = options.stop;

    GenerationOptions generation;
    generation.maxNewTokens = options.maxAnswerTokens;
    generation.eosIds = {format.eosId()};
    generation.routedDecoding = options.routedDecoding;
    std::vector<GeneratedAnswer> answers(examples.size());
    // Between two generated tokens: the hook runs after each decoding step.
    const GenerationHook checkStop = [stop](const GenerationStep &) { throwIfStopped(stop); };
    const auto total = static_cast<std::int64_t>(examples.size());
    const auto batchSize = static_cast<std::size_t>(std::max<std::int64_t>(1, options.batchSize));
    const EvalProgressClock clock("exact match", total, options.progress);
    clock.report(0);
    for (std::size_t first = 0; first < examples.size(); first += batchSize) {
        throwIfStopped(stop);
        const auto end = std::min(examples.size(), first + batchSize);
        std::vector<std::vector<std::int64_t>> prompts;
        for (auto i = first; i < end; ++i)
            prompts.push_back(format.promptIds(examples[i].prompt));
        const auto generated
            = generate(model, prompts, device, generation, stop != nullptr ? checkStop : GenerationHook{});
        for (auto i = first; i < end; ++i)
            answers[i] = {format.answerText(generated[i - first].tokens), generated[i - first].finished};
        clock.report(static_cast<std::int64_t>(end));
    }
    return exactMatchShares(format, examples, answers);
}

std::map<std::string, double> exactMatchShares(const SequenceFormat &format, const std::vector<TaskExample> &examples,
                                               const std::vector<GeneratedAnswer> &answers)
{
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts; // task -> (correct, total)
    for (std::size_t i = 0; i < examples.size(); ++i) {
        auto &count = counts[examples[i].task];
        count.first += answers[i].finished && answers[i].text == format.referenceText(examples[i].answer) ? 1 : 0;
        count.second += 1;
    }
    std::map<std::string, double> byTask;
    for (const auto &[task, count] : counts)
        byTask[task] = static_cast<double>(count.first) / static_cast<double>(count.second);
    return byTask;
}

} // namespace lwb
