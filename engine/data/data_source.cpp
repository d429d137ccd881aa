// See data_source.h.
#include "engine/data/data_source.h"

#include "engine/core/error.h"
#include "engine/data/jsonl_dataset.h"

#include <algorithm>
#include <set>

namespace lwb {

namespace {

// Keeps the examples of the listed tasks (all when the list is empty).
std::vector<TaskExample> keepTasks(std::vector<TaskExample> examples, const std::vector<std::string> &tasks)
{
    if (tasks.empty())
        return examples;
    const std::set<std::string> wanted(tasks.begin(), tasks.end());
    examples.erase(std::remove_if(examples.begin(), examples.end(),
                                  [&](const TaskExample &example) { return wanted.count(example.task) == 0; }),
                   examples.end());
    return examples;
}

void requireEveryTask(const std::vector<TaskExample> &examples, const std::vector<std::string> &tasks,
                      const std::string &file, const char *side)
{
    std::set<std::string> present;
    for (const auto &example : examples)
        present.insert(example.task);
    for (const auto &task : tasks)
        if (present.count(task) == 0)
            throw Error(file, std::string("data.tasks lists \"") + task + "\" but the " + side
                                  + " examples have none of it (data.tasks=[] keeps every task)");
}

} // namespace

std::unique_ptr<TaskData> makeTaskData(const DataConfig &data, std::uint64_t seed, const SequenceFormat &format)
{
    if (data.source != "jsonl") {
        auto generated = std::make_unique<TaskData>(format, data.tasks, seed, data.seqLen, data.evalExamples);
        generated->setPacking(data.pack);
        return generated;
    }

    auto train = readJsonlDataset(data.trainFile, data.skipBadLines, format.chatFormat());
    std::int64_t skipped = static_cast<std::int64_t>(train.badLines.size());
    std::vector<TaskExample> trainExamples, evalExamples;
    if (!data.evalFile.empty()) {
        trainExamples = std::move(train.examples);
        auto eval = readJsonlDataset(data.evalFile, data.skipBadLines, format.chatFormat());
        skipped += static_cast<std::int64_t>(eval.badLines.size());
        evalExamples = std::move(eval.examples);
    } else {
        for (auto &example : train.examples)
            (isEvalByRatio(example, data.evalRatio) ? evalExamples : trainExamples).push_back(std::move(example));
    }
    trainExamples = keepTasks(std::move(trainExamples), data.tasks);
    evalExamples = keepTasks(std::move(evalExamples), data.tasks);
    const auto evalSource = data.evalFile.empty() ? data.trainFile : data.evalFile;
    requireEveryTask(trainExamples, data.tasks, data.trainFile, "training");
    requireEveryTask(evalExamples, data.tasks, evalSource, "evaluation");
    if (trainExamples.empty())
        throw Error(data.trainFile, "no training examples left (data.eval_ratio took them all?)");
    if (evalExamples.empty())
        throw Error(evalSource, "no evaluation examples (raise data.eval_ratio or give data.eval_file)");
    if (static_cast<std::int64_t>(evalExamples.size()) > data.evalExamples)
        evalExamples.resize(static_cast<std::size_t>(data.evalExamples));

    auto taskData
        = std::make_unique<TaskData>(format, std::move(trainExamples), std::move(evalExamples), seed, data.seqLen);
    taskData->setSkippedLines(skipped);
    taskData->setPacking(data.pack);
    return taskData;
}

} // namespace lwb
