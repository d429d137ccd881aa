// See batch_builder.h.
#include "engine/data/batch_builder.h"

#include "engine/core/seed_mix.h"

#include <algorithm>
#include <stdexcept>

namespace lwb {

namespace {

// The evaluation stream's seed: fixed, so every run scores the same examples.
constexpr std::uint64_t kEvalSeed = 0x5eed0e7a1ULL;

} // namespace

Batch buildBatch(const std::vector<TaskExample> &examples, const SequenceFormat &format, std::int64_t seqLen)
{
    std::vector<std::vector<std::int64_t>> sequences;
    std::vector<std::int64_t> promptLengths;
    std::int64_t longest = 0;
    for (const auto &example : examples) {
        auto ids = format.promptIds(example.prompt);
        promptLengths.push_back(static_cast<std::int64_t>(ids.size()));
        const auto answer = format.answerIds(example.answer);
        ids.insert(ids.end(), answer.begin(), answer.end());
        if (static_cast<std::int64_t>(ids.size()) > seqLen + 1)
            ids.resize(static_cast<std::size_t>(seqLen + 1));
        longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(ids.size()) - 1);
        sequences.push_back(std::move(ids));
    }

    const auto rows = static_cast<std::int64_t>(sequences.size());
    Batch batch;
    batch.inputIds = torch::full({rows, longest}, format.padId(), torch::kInt64);
    batch.labels = torch::full({rows, longest}, kIgnoreLabel, torch::kInt64);
    batch.tokenMask = torch::zeros({rows, longest}, torch::kBool);
    auto inputs = batch.inputIds.accessor<std::int64_t, 2>();
    auto labels = batch.labels.accessor<std::int64_t, 2>();
    auto mask = batch.tokenMask.accessor<bool, 2>();
    for (std::int64_t row = 0; row < rows; ++row) {
        const auto &ids = sequences[static_cast<std::size_t>(row)];
        const auto length = static_cast<std::int64_t>(ids.size()) - 1;
        for (std::int64_t t = 0; t < length; ++t) {
            inputs[row][t] = ids[static_cast<std::size_t>(t)];
            mask[row][t] = true;
            // Label t is token t+1; it is scored when token t+1 belongs to the answer or EOS.
            if (t + 1 >= promptLengths[static_cast<std::size_t>(row)]) {
                labels[row][t] = ids[static_cast<std::size_t>(t + 1)];
                ++batch.scoredTokens;
            }
        }
        batch.inputTokens += length;
        batch.tasks.push_back(examples[static_cast<std::size_t>(row)].task);
    }
    return batch;
}

TaskData::TaskData(SequenceFormat format, const std::vector<std::string> &tasks, std::uint64_t seed,
                   std::int64_t seqLen, std::int64_t evalExamples)
    : format_(std::move(format))
    , generator_(TaskGenerator(tasks, seed))
    , seed_(seed)
    , seqLen_(seqLen)
{
    const TaskGenerator eval(tasks, kEvalSeed);
    for (std::int64_t i = 0; i < evalExamples; ++i)
        evalExamples_.push_back(eval.example(static_cast<std::uint64_t>(i)));
}

TaskData::TaskData(SequenceFormat format, std::vector<TaskExample> train, std::vector<TaskExample> eval,
                   std::uint64_t seed, std::int64_t seqLen)
    : format_(std::move(format))
    , trainList_(std::move(train))
    , seed_(seed)
    , evalExamples_(std::move(eval))
    , seqLen_(seqLen)
{
    if (trainList_.empty())
        throw std::invalid_argument("TaskData needs at least one training example");
}

TaskExample TaskData::trainExample(std::uint64_t index) const
{
    if (generator_)
        return generator_->example(index);
    const auto count = static_cast<std::uint64_t>(trainList_.size());
    const auto epoch = static_cast<std::int64_t>(index / count);
    if (epoch != orderEpoch_) {
        // Fisher-Yates with SplitMix64 draws: the same order on every platform
        // (std::shuffle's use of the engine is not specified); the start state
        // is a function of (seed, epoch) only.
        order_.resize(trainList_.size());
        for (std::size_t i = 0; i < order_.size(); ++i)
            order_[i] = i;
        SplitMix64 draws(seed_ * kGoldenGamma + static_cast<std::uint64_t>(epoch) * 0xd1b54a32d192ed03ULL);
        for (std::size_t i = order_.size(); i > 1; --i)
            std::swap(order_[i - 1], order_[static_cast<std::size_t>(draws.next() % i)]);
        orderEpoch_ = epoch;
    }
    return trainList_[order_[static_cast<std::size_t>(index % count)]];
}

std::uint64_t TaskData::packedStart(std::uint64_t index) const
{
    while (packedStarts_.size() <= index) {
        const auto example = trainExample(packedStarts_.size() - 1);
        packedStarts_.push_back(packedStarts_.back() + format_.promptIds(example.prompt).size()
                                + format_.answerIds(example.answer).size());
    }
    return packedStarts_[index];
}

Batch TaskData::packedTrainRows(std::int64_t firstRow, std::int64_t rows) const
{
    const auto width = static_cast<std::uint64_t>(seqLen_);
    const auto begin = static_cast<std::uint64_t>(firstRow) * width;
    const auto end = begin + static_cast<std::uint64_t>(rows) * width + 1; // the last row's final label
    // The first example that reaches past `begin`, then whole examples until `end`.
    while (packedStarts_.back() < end)
        packedStart(packedStarts_.size());               // measure examples up to the window's end
    const auto exampleAt = [this](std::uint64_t token) { // the example holding stream token `token`
        return static_cast<std::uint64_t>(std::upper_bound(packedStarts_.begin(), packedStarts_.end(), token)
                                          - packedStarts_.begin() - 1);
    };
    const auto first = exampleAt(begin);
    std::vector<std::int64_t> tokens;
    std::vector<char> scored;
    const auto streamStart = packedStart(first);
    for (auto i = first; packedStart(i) < end; ++i) {
        const auto example = trainExample(i);
        const auto prompt = format_.promptIds(example.prompt);
        tokens.insert(tokens.end(), prompt.begin(), prompt.end());
        scored.resize(tokens.size(), 0);
        const auto answer = format_.answerIds(example.answer);
        tokens.insert(tokens.end(), answer.begin(), answer.end());
        scored.resize(tokens.size(), 1);
    }

    Batch batch;
    batch.inputIds = torch::empty({rows, seqLen_}, torch::kInt64);
    batch.labels = torch::empty({rows, seqLen_}, torch::kInt64);
    auto inputs = batch.inputIds.accessor<std::int64_t, 2>();
    auto labels = batch.labels.accessor<std::int64_t, 2>();
    for (std::int64_t row = 0; row < rows; ++row) {
        const auto offset = begin - streamStart + static_cast<std::uint64_t>(row) * width;
        for (std::int64_t t = 0; t < seqLen_; ++t) {
            const auto at = offset + static_cast<std::uint64_t>(t);
            inputs[row][t] = tokens[at];
            labels[row][t] = scored[at + 1] ? tokens[at + 1] : kIgnoreLabel;
            batch.scoredTokens += scored[at + 1];
        }
        // The task of the example the row starts in (routing analysis).
        batch.tasks.push_back(trainExample(exampleAt(streamStart + offset)).task);
    }
    batch.inputTokens = rows * seqLen_;
    batch.tokenMask = torch::ones({rows, seqLen_}, torch::kBool);
    return batch;
}

Batch TaskData::trainBatch(std::int64_t microBatch, std::int64_t batchSize) const
{
    return trainRows(microBatch * batchSize, batchSize);
}

Batch TaskData::trainRows(std::int64_t firstRow, std::int64_t rows) const
{
    if (pack_)
        return packedTrainRows(firstRow, rows);
    std::vector<TaskExample> examples;
    examples.reserve(static_cast<std::size_t>(rows));
    const auto first = static_cast<std::uint64_t>(firstRow);
    for (std::int64_t i = 0; i < rows; ++i)
        examples.push_back(trainExample(first + static_cast<std::uint64_t>(i)));
    return buildBatch(examples, format_, seqLen_);
}

std::vector<Batch> buildBatches(const std::vector<TaskExample> &examples, const SequenceFormat &format,
                                std::int64_t seqLen, std::int64_t batchSize)
{
    std::vector<Batch> batches;
    for (std::size_t start = 0; start < examples.size(); start += static_cast<std::size_t>(batchSize)) {
        const auto end = std::min(examples.size(), start + static_cast<std::size_t>(batchSize));
        batches.push_back(buildBatch({examples.begin() + static_cast<std::ptrdiff_t>(start),
                                      examples.begin() + static_cast<std::ptrdiff_t>(end)},
                                     format, seqLen));
    }
    return batches;
}

std::vector<Batch> TaskData::evalBatches(std::int64_t batchSize) const
{
    return buildBatches(evalExamples_, format_, seqLen_, batchSize);
}

} // namespace lwb
