// See evaluator.h.
#include "engine/eval/evaluator.h"

#include <torch/nn/functional/loss.h>

#include <cmath>

namespace lwb {

EvalMetrics evaluateLoss(CausalLMImpl &model, const std::vector<Batch> &batches, const torch::Device &device)
{
    torch::NoGradGuard noGrad;
    const bool wasTraining = model.is_training();
    model.eval();
    double lossSum = 0.0;
    std::int64_t scored = 0;
    for (const auto &batch : batches) {
        const auto logits = model.forward(batch.inputIds.to(device), batch.tokenMask.to(device));
        const auto loss = torch::nn::functional::cross_entropy(
            logits.reshape({-1, logits.size(-1)}).to(torch::kFloat64), batch.labels.to(device).reshape({-1}),
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kSum));
        lossSum += loss.item<double>();
        scored += batch.scoredTokens;
    }
    model.train(wasTraining);
    EvalMetrics metrics;
    metrics.tokens = scored;
    metrics.loss = scored > 0 ? lossSum / static_cast<double>(scored) : 0.0;
    metrics.perplexity = std::exp(metrics.loss);
    return metrics;
}

std::map<std::string, double> exactMatchByTask(CausalLMImpl &model, const std::vector<TaskExample> &examples,
                                               const ByteTokenizer &tokenizer, const torch::Device &device,
                                               std::int64_t maxAnswerTokens)
{
    torch::NoGradGuard noGrad;
    const bool wasTraining = model.is_training();
    model.eval();

    std::map<std::size_t, std::vector<std::size_t>> byPromptLength;
    std::vector<std::vector<std::int64_t>> prompts;
    for (std::size_t i = 0; i < examples.size(); ++i) {
        std::vector<std::int64_t> ids{ByteTokenizer::kBos};
        const auto prompt = tokenizer.encode(examples[i].prompt);
        ids.insert(ids.end(), prompt.begin(), prompt.end());
        byPromptLength[ids.size()].push_back(i);
        prompts.push_back(std::move(ids));
    }

    std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts; // task -> (correct, total)
    const auto maxLength = model.config().maxPositions;
    for (const auto &[length, members] : byPromptLength) {
        const auto rows = static_cast<std::int64_t>(members.size());
        auto ids = torch::empty({rows, static_cast<std::int64_t>(length)}, torch::kInt64);
        for (std::int64_t r = 0; r < rows; ++r)
            ids[r] = torch::tensor(prompts[members[static_cast<std::size_t>(r)]], torch::kInt64);
        ids = ids.to(device);
        std::vector<std::vector<std::int64_t>> answers(members.size());
        std::vector<bool> done(members.size(), false);
        for (std::int64_t t = 0; t < maxAnswerTokens && ids.size(1) < maxLength; ++t) {
            const auto next = model.forward(ids).select(1, ids.size(1) - 1).argmax(-1);
            const auto nextCpu = next.to(torch::kCPU);
            const auto *values = nextCpu.data_ptr<std::int64_t>();
            bool allDone = true;
            for (std::int64_t r = 0; r < rows; ++r) {
                if (done[static_cast<std::size_t>(r)])
                    continue;
                if (values[r] == ByteTokenizer::kEos)
                    done[static_cast<std::size_t>(r)] = true;
                else
                    answers[static_cast<std::size_t>(r)].push_back(values[r]);
                allDone = allDone && done[static_cast<std::size_t>(r)];
            }
            if (allDone)
                break;
            ids = torch::cat({ids, next.unsqueeze(1)}, 1);
        }
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto &example = examples[members[static_cast<std::size_t>(r)]];
            auto &count = counts[example.task];
            const bool correct = done[static_cast<std::size_t>(r)]
                && tokenizer.decode(answers[static_cast<std::size_t>(r)]) == example.answer;
            count.first += correct ? 1 : 0;
            count.second += 1;
        }
    }
    model.train(wasTraining);

    std::map<std::string, double> byTask;
    for (const auto &[task, count] : counts)
        byTask[task] = static_cast<double>(count.first) / static_cast<double>(count.second);
    return byTask;
}

} // namespace lwb
