// Evaluation of a causal LM on the run's held-out task examples:
//   loss        mean cross-entropy over every scored token (answer + EOS),
//               summed over batches then divided once, so batch size does
//               not change the figure;
//   perplexity  exp(loss);
//   exact match per task: greedy decoding from the prompt until EOS (or a
//               length cap) equals the reference answer exactly.
//
// Both stream through batches (EvalOptions::batchSize examples, in the
// order given: exact match decodes each batch's prompts of mixed lengths as
// one left-padded batch with a KV cache, engine/model/generation.h) and
// report an EvalProgress after each batch (eval_progress.h).
//
// Stopping: a long final evaluation must not hold up a cancel or a closing
// window, so each function takes the run's stop flag (may be null) and checks
// it between loss batches and between generated tokens; when it is set they
// throw EvaluationStopped, leaving the model in the mode they found it in.
#pragma once

#include "engine/data/batch_builder.h"
#include "engine/eval/eval_progress.h"
#include "engine/model/causal_lm.h"
#include "engine/model/generation.h"
#include "engine/train/step_metrics.h"

#include <atomic>
#include <stdexcept>

namespace lwb {

// Thrown when the stop flag was seen set; the evaluation's figures are incomplete.
struct EvaluationStopped : std::runtime_error
{
    EvaluationStopped()
        : std::runtime_error("the evaluation was stopped")
    {
    }
};

struct EvalOptions
{
    const std::atomic<bool> *stop = nullptr; // the run's stop flag; null = never stopped
    EvalProgressCallback progress;           // after every batch; empty = silent
    std::int64_t batchSize = 64;             // exact match: prompts decoded together
    std::int64_t maxAnswerTokens = 16;       // exact match: the length cap of an answer
    // How adapters that route by the whole pass (SiRA with a capacity limit)
    // decode: FullSequence is what a whole-sequence evaluation computes.
    RoutedDecoding routedDecoding = RoutedDecoding::FullSequence;
};

EvalMetrics evaluateLoss(CausalLMImpl &model, const std::vector<Batch> &batches, const torch::Device &device,
                         const EvalOptions &options = {});

// The first `examples` sequences of `batches` (the last batch kept cut to
// fit); examples <= 0: all of them. How eval.max_examples limits a loss
// evaluation.
std::vector<Batch> firstExamples(const std::vector<Batch> &batches, std::int64_t examples);

// One generated answer: its text (special tokens dropped) and whether it
// ended with EOS.
struct GeneratedAnswer
{
    std::string text;
    bool finished = false;
};

// Exact match per task: the share of examples whose answer finished and reads
// as format.referenceText(example.answer); answers[i] is examples[i]'s. The
// one rule every exact-match figure (runs, lorawb eval, DLP-LoRA) uses.
std::map<std::string, double> exactMatchShares(const SequenceFormat &format, const std::vector<TaskExample> &examples,
                                               const std::vector<GeneratedAnswer> &answers);

// Fills exactMatchByTask: greedy answers, batchSize prompts at a time in
// the order given (generate(), engine/model/generation.h: left-padded, with
// a KV cache unless an adapter needs whole-sequence forwards).
std::map<std::string, double> exactMatchByTask(CausalLMImpl &model, const std::vector<TaskExample> &examples,
                                               const SequenceFormat &format, const torch::Device &device,
                                               const EvalOptions &options = {});

} // namespace lwb
