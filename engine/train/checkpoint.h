// Checkpoints: the adapter tensors and the optimiser state of a run at one
// step, written atomically (temp file, then rename), so a crash never leaves
// a half-written checkpoint where a good one was.
//
// Layout under the run's output directory:
//   checkpoints/step-000120.pt   adapter parameters and buffers (ResLoRA's norm
//                                windows), AdamW moments, step, config
//   checkpoints/latest           name of the newest complete checkpoint
// The base model is not saved: it is rebuilt from the config.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lwb {

struct CheckpointInfo
{
    std::int64_t step = 0;
    std::string configJson;
    int worldSize = 1; // the data-parallel ranks of the run that wrote it
};

// Returns the path written. worldSize: the ranks of a data-parallel run.
std::string saveCheckpoint(const std::string &outputDir, std::int64_t step, const std::string &configJson,
                           torch::nn::Module &model, torch::optim::Optimizer &optimizer, int worldSize = 1);

// A checkpoint file, or an output directory (its checkpoints/latest). Throws
// lwb::Error naming the file when it is missing, unreadable or does not fit
// the model's adapter parameters (name or shape).
std::string resolveCheckpoint(const std::string &fileOrDir);
CheckpointInfo loadCheckpoint(const std::string &path, torch::nn::Module &model, torch::optim::Optimizer &optimizer);

// The step and config of a checkpoint, without touching any model (export
// reads the config first to rebuild the model the weights belong to).
CheckpointInfo readCheckpointInfo(const std::string &path);

// The adapter weights only, no optimiser state (export, evaluation). Same
// checks and errors as loadCheckpoint.
CheckpointInfo loadCheckpointWeights(const std::string &path, torch::nn::Module &model);

// The adapter tensors of a checkpoint file by parameter name, in stored
// order, without a model or an optimiser: how another run reads a trained
// adapter (DLP-LoRA's task library). Throws lwb::Error naming the file.
struct CheckpointTensors
{
    CheckpointInfo info;
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
};
CheckpointTensors readCheckpointTensors(const std::string &path);

} // namespace lwb
