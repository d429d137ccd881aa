// Batches for causal-LM training on prompt/answer examples.
//
// A sequence is BOS prompt answer EOS. Inputs are its first n-1 tokens,
// labels the last n-1; prompt positions and padding get the label -100, so
// the loss scores the answer and the EOS only. Sequences are right-padded
// with PAD to the longest in the batch (never beyond seqLen + 1 tokens;
// longer ones are cut and lose their EOS).
#pragma once

#include "engine/data/task_generator.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <torch/types.h>

#include <vector>

namespace lwb {

constexpr std::int64_t kIgnoreLabel = -100;

struct Batch
{
    torch::Tensor inputIds; // [B, T] int64
    torch::Tensor labels;   // [B, T] int64, kIgnoreLabel where not scored
    torch::Tensor tokenMask; // [B, T] bool, false on padding
    std::int64_t inputTokens = 0;  // non-padding input tokens
    std::int64_t scoredTokens = 0; // labels that count in the loss
    std::vector<std::string> tasks;
};

Batch buildBatch(const std::vector<TaskExample> &examples, const ByteTokenizer &tokenizer, std::int64_t seqLen);

// The training and evaluation streams of one run: training example i is
// generator(seed).example(i); the evaluation set is a fixed list drawn from
// an independent stream, the same for every run seed (so runs compare).
class TaskData
{
public:
    TaskData(const std::vector<std::string> &tasks, std::uint64_t seed, std::int64_t seqLen, std::int64_t evalExamples);

    // Micro-batch number `microBatch` (counting from 0 over the whole run).
    Batch trainBatch(std::int64_t microBatch, std::int64_t batchSize) const;
    const std::vector<TaskExample> &evalExamples() const { return evalExamples_; }
    std::vector<Batch> evalBatches(std::int64_t batchSize) const;

    const ByteTokenizer &tokenizer() const { return tokenizer_; }
    std::int64_t seqLen() const { return seqLen_; }

private:
    ByteTokenizer tokenizer_;
    TaskGenerator train_;
    std::vector<TaskExample> evalExamples_;
    std::int64_t seqLen_;
};

} // namespace lwb
