// TrainingParts: what a run trains — the model with its adapters, the AdamW
// over its trainable parameters and the run's data streams — built from a
// RunConfig by buildTrainingParts(), or by a caller that wants its own (a
// test with a hand-made model, a data-parallel job with other data), and
// handed to the Trainer, which then only runs the steps.
//
// buildTrainingParts: the base in the precision's dtype (frozen), adapters
// initialised from the run seed (or adapter.init_from), trainable weights
// float32 (AdamW's master weights), gradient checkpointing when asked and
// every adapter allows it, all on `device`.
#pragma once

#include "engine/config/run_config.h"
#include "engine/data/batch_builder.h"
#include "engine/model/causal_lm.h"
#include "engine/train/precision.h"

#include <torch/optim/adamw.h>

#include <memory>
#include <vector>

namespace lwb {

struct TrainingParts
{
    CausalLM model{nullptr};
    std::vector<torch::Tensor> parameters; // the trainable ones, in the optimiser's order
    std::unique_ptr<torch::optim::AdamW> optimizer;
    std::unique_ptr<TaskData> data;

    bool complete() const { return !model.is_empty() && optimizer && data; }
};

TrainingParts buildTrainingParts(const RunConfig &config, const torch::Device &device, Precision precision);

} // namespace lwb
