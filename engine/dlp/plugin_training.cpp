// See plugin_training.h.
#include "engine/dlp/plugin_training.h"

#include "engine/core/error.h"
#include "engine/core/seed_mix.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>

namespace lwb {

PluginExamples pluginExamples(const std::vector<TaskExample> &examples, const std::vector<std::string> &tasks,
                              const SequenceFormat &format)
{
    std::vector<std::vector<std::int64_t>> sequences;
    std::vector<std::int64_t> labels;
    std::size_t longest = 1;
    for (const auto &example : examples) {
        const auto found = std::find(tasks.begin(), tasks.end(), example.task);
        if (found == tasks.end())
            throw Error("DLP plugin data", "example of task \"" + example.task + "\", which the library does not have");
        auto ids = format.promptIds(example.prompt);
        longest = std::max(longest, ids.size());
        sequences.push_back(std::move(ids));
        labels.push_back(found - tasks.begin());
    }
    const auto rows = static_cast<std::int64_t>(sequences.size());
    PluginExamples out;
    out.ids = torch::full({rows, static_cast<std::int64_t>(longest)}, format.padId(), torch::kInt64);
    out.mask = torch::zeros({rows, static_cast<std::int64_t>(longest)}, torch::kBool);
    auto ids = out.ids.accessor<std::int64_t, 2>();
    auto mask = out.mask.accessor<bool, 2>();
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto &sequence = sequences[static_cast<std::size_t>(r)];
        for (std::size_t t = 0; t < sequence.size(); ++t) {
            ids[r][static_cast<std::int64_t>(t)] = sequence[t];
            mask[r][static_cast<std::int64_t>(t)] = true;
        }
    }
    out.labels = torch::tensor(labels, torch::kInt64);
    return out;
}

PluginEvaluation evaluatePlugin(DlpPluginImpl &plugin, const PluginExamples &examples)
{
    torch::NoGradGuard noGrad;
    const bool wasTraining = plugin.is_training();
    plugin.eval();
    const auto tasks = plugin.tasks();
    const auto predicted = plugin.forward(examples.ids, examples.mask).argmax(-1).to(torch::kCPU);
    plugin.train(wasTraining);
    const auto labels = examples.labels.to(torch::kCPU);
    PluginEvaluation evaluation;
    evaluation.examples = labels.size(0);
    evaluation.confusion.assign(static_cast<std::size_t>(tasks),
                                std::vector<std::int64_t>(static_cast<std::size_t>(tasks), 0));
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < evaluation.examples; ++i) {
        const auto truth = labels[i].item<std::int64_t>(), guess = predicted[i].item<std::int64_t>();
        ++evaluation.confusion[static_cast<std::size_t>(truth)][static_cast<std::size_t>(guess)];
        correct += truth == guess ? 1 : 0;
    }
    evaluation.accuracy = evaluation.examples > 0 ? double(correct) / double(evaluation.examples) : 0.0;
    return evaluation;
}

PluginReport trainPlugin(DlpPluginImpl &plugin, const PluginExamples &train, const PluginExamples &heldOut,
                         const PluginTrainingOptions &options, const PluginProgress &progress)
{
    const auto began = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> parameters;
    for (const auto &parameter : plugin.parameters()) {
        if (parameter.requires_grad())
            parameters.push_back(parameter);
    }
    torch::optim::AdamW optimizer(parameters, torch::optim::AdamWOptions(options.lr).weight_decay(0.0));
    PluginReport report;
    report.parameters = plugin.parameterCount();
    const auto rows = train.ids.size(0);
    plugin.train();
    for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
        // The order of this epoch: a function of (seed, epoch) only.
        auto generator = at::detail::createCPUGenerator(streamSeed(options.seed, static_cast<std::uint64_t>(epoch)));
        const auto order = torch::randperm(rows, generator, torch::kInt64);
        double lossSum = 0.0;
        for (std::int64_t start = 0; start < rows; start += options.batchSize) {
            const auto index = order.narrow(0, start, std::min(options.batchSize, rows - start));
            optimizer.zero_grad();
            const auto logits = plugin.forward(train.ids.index_select(0, index), train.mask.index_select(0, index));
            const auto loss = torch::nn::functional::cross_entropy(logits, train.labels.index_select(0, index));
            loss.backward();
            optimizer.step();
            lossSum += loss.item<double>() * static_cast<double>(index.size(0));
        }
        report.epochLoss.push_back(lossSum / static_cast<double>(std::max<std::int64_t>(1, rows)));
        if (progress && !progress(epoch + 1, options.epochs, report.epochLoss.back()))
            break;
    }
    report.heldOut = evaluatePlugin(plugin, heldOut);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    return report;
}

} // namespace lwb
