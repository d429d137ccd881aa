// Batches for causal-LM training on prompt/answer examples.
//
// A sequence is [BOS] prompt answer EOS (SequenceFormat, the run's
// tokenizer). Inputs are its first n-1 tokens, labels the last n-1; prompt
// positions and padding get the label -100, so the loss scores the answer
// and the EOS only. Sequences are right-padded with the pad id to the
// longest in the batch (never beyond seqLen + 1 tokens; longer ones are cut
// and lose their EOS); tokenMask marks the real tokens by length.
#pragma once

#include "engine/data/sequence_format.h"
#include "engine/data/task_generator.h"

#include <torch/types.h>

#include <optional>
#include <vector>

namespace lwb {

constexpr std::int64_t kIgnoreLabel = -100;

struct Batch
{
    torch::Tensor inputIds;        // [B, T] int64
    torch::Tensor labels;          // [B, T] int64, kIgnoreLabel where not scored
    torch::Tensor tokenMask;       // [B, T] bool, false on padding
    std::int64_t inputTokens = 0;  // non-padding input tokens
    std::int64_t scoredTokens = 0; // labels that count in the loss
    std::vector<std::string> tasks;
};

Batch buildBatch(const std::vector<TaskExample> &examples, const SequenceFormat &format, std::int64_t seqLen);
// The examples in order, batchSize at a time (the last batch may be smaller).
std::vector<Batch> buildBatches(const std::vector<TaskExample> &examples, const SequenceFormat &format,
                                std::int64_t seqLen, std::int64_t batchSize);

// The training and evaluation streams of one run. Generated tasks: training
// example i is generator(seed).example(i); the evaluation set is a fixed list
// drawn from an independent stream, the same for every run seed (so runs
// compare). A fixed list (a JSONL dataset): training example i is
// train[order_e(i mod N)] for epoch e = i / N, each epoch a fresh shuffle
// drawn from (seed, e), so example i again depends only on (seed, i).
class TaskData
{
public:
    TaskData(SequenceFormat format, const std::vector<std::string> &tasks, std::uint64_t seed, std::int64_t seqLen,
             std::int64_t evalExamples);
    TaskData(SequenceFormat format, std::vector<TaskExample> train, std::vector<TaskExample> eval, std::uint64_t seed,
             std::int64_t seqLen);

    // Sequence packing (data.pack) for the training batches: the training
    // examples, each [BOS] prompt answer EOS and never cut, are read as one
    // token stream, and row j of the run is the window of seqLen + 1 tokens
    // starting at token j * seqLen (consecutive rows overlap by one token, so
    // every token but the first is a label exactly once). Rows need no
    // padding; prompts stay unscored; attention runs across the examples
    // that share a row, and positions count from the row's start (the usual
    // naive packing: no cross-example mask). Row j depends only on (seed, j),
    // so runs stay reproducible and resume exactly. Evaluation is unpacked.
    void setPacking(bool pack) { pack_ = pack; }
    bool packing() const { return pack_; }

    // Micro-batch number `microBatch` (counting from 0 over the whole run).
    Batch trainBatch(std::int64_t microBatch, std::int64_t batchSize) const;
    // Rows [firstRow, firstRow + rows) of the run's training stream, row i
    // being row i % batchSize of micro-batch i / batchSize: a data-parallel
    // rank's share of a micro-batch (padded to its own longest row).
    Batch trainRows(std::int64_t firstRow, std::int64_t rows) const;
    // Training example number `index` of the stream trainBatch() draws from
    // (generated, or the fixed list in a seeded order per epoch).
    TaskExample trainExample(std::uint64_t index) const;
    const std::vector<TaskExample> &evalExamples() const { return evalExamples_; }
    std::vector<Batch> evalBatches(std::int64_t batchSize) const;

    const SequenceFormat &format() const { return format_; }
    std::int64_t seqLen() const { return seqLen_; }

    // Bad lines a JSONL source skipped (data.skip_bad_lines), for the run's report.
    std::int64_t skippedLines() const { return skippedLines_; }
    void setSkippedLines(std::int64_t count) { skippedLines_ = count; }

private:
    Batch packedTrainRows(std::int64_t firstRow, std::int64_t rows) const;
    // Token offset of training example i in the packed stream (extends the table).
    std::uint64_t packedStart(std::uint64_t index) const;

    SequenceFormat format_;
    std::optional<TaskGenerator> generator_; // generated tasks
    std::vector<TaskExample> trainList_;     // or a fixed list
    std::uint64_t seed_ = 0;
    mutable std::int64_t orderEpoch_ = -1; // the epoch whose shuffle order_ holds
    mutable std::vector<std::size_t> order_;
    std::vector<TaskExample> evalExamples_;
    std::int64_t seqLen_;
    std::int64_t skippedLines_ = 0;
    bool pack_ = false;
    mutable std::vector<std::uint64_t> packedStarts_{0}; // packedStart(i) for the examples measured so far
};

} // namespace lwb
