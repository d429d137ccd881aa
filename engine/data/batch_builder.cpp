// See batch_builder.h.
#include "engine/data/batch_builder.h"

#include <algorithm>

namespace lwb {

namespace {

// The evaluation stream's seed: fixed, so every run scores the same examples.
constexpr std::uint64_t kEvalSeed = 0x5eed0e7a1ULL;

} // namespace

Batch buildBatch(const std::vector<TaskExample> &examples, const ByteTokenizer &tokenizer, std::int64_t seqLen)
{
    std::vector<std::vector<std::int64_t>> sequences;
    std::vector<std::int64_t> promptLengths;
    std::int64_t longest = 0;
    for (const auto &example : examples) {
        std::vector<std::int64_t> ids{ByteTokenizer::kBos};
        const auto prompt = tokenizer.encode(example.prompt);
        const auto answer = tokenizer.encode(example.answer);
        ids.insert(ids.end(), prompt.begin(), prompt.end());
        promptLengths.push_back(static_cast<std::int64_t>(ids.size()));
        ids.insert(ids.end(), answer.begin(), answer.end());
        ids.push_back(ByteTokenizer::kEos);
        if (static_cast<std::int64_t>(ids.size()) > seqLen + 1)
            ids.resize(static_cast<std::size_t>(seqLen + 1));
        longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(ids.size()) - 1);
        sequences.push_back(std::move(ids));
    }

    const auto rows = static_cast<std::int64_t>(sequences.size());
    Batch batch;
    batch.inputIds = torch::full({rows, longest}, ByteTokenizer::kPad, torch::kInt64);
    batch.labels = torch::full({rows, longest}, kIgnoreLabel, torch::kInt64);
    auto inputs = batch.inputIds.accessor<std::int64_t, 2>();
    auto labels = batch.labels.accessor<std::int64_t, 2>();
    for (std::int64_t row = 0; row < rows; ++row) {
        const auto &ids = sequences[static_cast<std::size_t>(row)];
        const auto length = static_cast<std::int64_t>(ids.size()) - 1;
        for (std::int64_t t = 0; t < length; ++t) {
            inputs[row][t] = ids[static_cast<std::size_t>(t)];
            // Label t is token t+1; it is scored when token t+1 belongs to the answer or EOS.
            if (t + 1 >= promptLengths[static_cast<std::size_t>(row)]) {
                labels[row][t] = ids[static_cast<std::size_t>(t + 1)];
                ++batch.scoredTokens;
            }
        }
        batch.inputTokens += length;
        batch.tasks.push_back(examples[static_cast<std::size_t>(row)].task);
    }
    batch.tokenMask = batch.inputIds != ByteTokenizer::kPad;
    return batch;
}

TaskData::TaskData(const std::vector<std::string> &tasks, std::uint64_t seed, std::int64_t seqLen,
                   std::int64_t evalExamples)
    : train_(tasks, seed)
    , seqLen_(seqLen)
{
    const TaskGenerator eval(tasks, kEvalSeed);
    for (std::int64_t i = 0; i < evalExamples; ++i)
        evalExamples_.push_back(eval.example(static_cast<std::uint64_t>(i)));
}

Batch TaskData::trainBatch(std::int64_t microBatch, std::int64_t batchSize) const
{
    std::vector<TaskExample> examples;
    examples.reserve(static_cast<std::size_t>(batchSize));
    const auto first = static_cast<std::uint64_t>(microBatch * batchSize);
    for (std::int64_t i = 0; i < batchSize; ++i)
        examples.push_back(train_.example(first + static_cast<std::uint64_t>(i)));
    return buildBatch(examples, tokenizer_, seqLen_);
}

std::vector<Batch> TaskData::evalBatches(std::int64_t batchSize) const
{
    std::vector<Batch> batches;
    for (std::size_t start = 0; start < evalExamples_.size(); start += static_cast<std::size_t>(batchSize)) {
        const auto end = std::min(evalExamples_.size(), start + static_cast<std::size_t>(batchSize));
        batches.push_back(buildBatch({evalExamples_.begin() + static_cast<std::ptrdiff_t>(start),
                                      evalExamples_.begin() + static_cast<std::ptrdiff_t>(end)},
                                     tokenizer_, seqLen_));
    }
    return batches;
}

} // namespace lwb
