// Training and evaluating the DLP plugin: cross-entropy on task labels over
// prompts of the multi-task data (engine/data/task_generator.h). The label
// of a prompt is the library index of its task; the plugin reads BOS and the
// prompt's tokens, as it will at inference.
//
// Training prompts come from the run's task stream (seed = run seed), the
// held-out ones from the evaluation stream (TaskData's fixed seed: the same
// examples every other evaluation of the run scores). Batches are drawn in
// a permutation reshuffled each epoch from (seed, epoch): runs repeat.
#pragma once

#include "engine/data/sequence_format.h"
#include "engine/data/task_generator.h"
#include "engine/dlp/plugin_classifier.h"

#include <functional>
#include <string>
#include <vector>

namespace lwb {

struct PluginExamples
{
    torch::Tensor ids;    // [M, T] int64, right-padded with the pad id
    torch::Tensor mask;   // [M, T] bool, true on the prompt tokens
    torch::Tensor labels; // [M] int64 library index
};

// Prompts ([BOS] + prompt tokens, SequenceFormat::promptIds) labelled by their task's index in `tasks`.
// Throws lwb::Error when an example's task is not in `tasks`.
PluginExamples pluginExamples(const std::vector<TaskExample> &examples, const std::vector<std::string> &tasks,
                              const SequenceFormat &format);

struct PluginTrainingOptions
{
    std::int64_t epochs = 4;
    double lr = 1e-3;
    std::int64_t batchSize = 64;
    std::uint64_t seed = 42;
};

struct PluginEvaluation
{
    double accuracy = 0.0;
    std::int64_t examples = 0;
    std::vector<std::vector<std::int64_t>> confusion; // [true task][predicted task] counts
};

struct PluginReport
{
    std::vector<double> epochLoss; // mean training cross-entropy per epoch
    PluginEvaluation heldOut;
    std::int64_t parameters = 0; // trainable
    double seconds = 0.0;
};

// Called after every epoch: (epoch 1-based, epochs, mean loss). Returning
// false stops training after that epoch.
using PluginProgress = std::function<bool(std::int64_t epoch, std::int64_t epochs, double loss)>;

PluginEvaluation evaluatePlugin(DlpPluginImpl &plugin, const PluginExamples &examples);

PluginReport trainPlugin(DlpPluginImpl &plugin, const PluginExamples &train, const PluginExamples &heldOut,
                         const PluginTrainingOptions &options, const PluginProgress &progress = {});

} // namespace lwb
