// See eval_command.h. Wiring only: options -> examples -> evaluator -> JSON.
#include "app/eval_command.h"

#include "app/command_line.h"
#include "app/model_inputs.h"

#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/data/batch_builder.h"
#include "engine/data/jsonl_dataset.h"
#include "engine/eval/eval_progress_printer.h"
#include "engine/eval/evaluator.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <ostream>

namespace lwb::cli {

namespace {

struct EvalArguments
{
    ModelChoice model;
    std::string data;
    std::string task; // empty: every task
    std::int64_t maxExamples = std::numeric_limits<std::int64_t>::max();
    std::string exactMatch = "no";
    std::int64_t batchSize = 32;
    std::string progress = "auto";
};

// auto: a carriage-return line when stderr is a terminal, plain lines otherwise.
bool overwriteProgress(const std::string &mode, const std::ostream &err)
{
    if (mode != "auto")
        return mode == "line";
    return &err == &std::cerr && isatty(STDERR_FILENO) == 1;
}

int evaluate(const EvalArguments &args, std::ostream &out, std::ostream &err)
{
    configureThreads(0);
    auto loaded = loadModel(args.model);
    auto examples = readJsonlDataset(args.data, /*skipBadLines=*/false, loaded.format.chatFormat()).examples;
    if (!args.task.empty())
        examples.erase(std::remove_if(examples.begin(), examples.end(),
                                      [&](const TaskExample &example) { return example.task != args.task; }),
                       examples.end());
    if (static_cast<std::int64_t>(examples.size()) > args.maxExamples)
        examples.resize(static_cast<std::size_t>(args.maxExamples)); // the first N in file order
    if (examples.empty())
        throw Error(args.data, "holds no examples" + (args.task.empty() ? "" : " of task " + args.task));
    // Batches of similar lengths pad little; the loss is a sum over tokens, so order does not change it.
    std::stable_sort(examples.begin(), examples.end(), [](const TaskExample &a, const TaskExample &b) {
        return a.prompt.size() + a.answer.size() < b.prompt.size() + b.answer.size();
    });
    const auto seqLen = loaded.model->config().maxPositions - 1;
    const auto batches = buildBatches(examples, loaded.format, seqLen, args.batchSize);
    // Progress on stderr: stdout carries only the JSON result.
    EvalProgressPrinter printer(err, overwriteProgress(args.progress, err));
    EvalOptions options;
    options.batchSize = args.batchSize;
    if (args.progress != "off")
        options.progress = printer.callback();
    const auto metrics = evaluateLoss(*loaded.model, batches, torch::kCPU, options);
    std::int64_t scored = 0;
    for (const auto &batch : batches)
        scored += batch.scoredTokens;
    nlohmann::json result{
        {"data", args.data},    {"examples", examples.size()},      {"scored_tokens", scored},
        {"loss", metrics.loss}, {"perplexity", metrics.perplexity}, {"bits_per_token", metrics.loss / std::log(2.0)}};
    if (loaded.format.byteLevelTokens()) // a token is a byte (the answers' EOS counted as one)
        result["bits_per_byte"] = result["bits_per_token"];
    if (args.exactMatch == "yes") // greedy answers as in a run's evaluation, per task
        result["exact_match"] = exactMatchByTask(*loaded.model, examples, loaded.format, torch::kCPU, options);
    out << result.dump() << '\n';
    return 0;
}

} // namespace

void addEvalCommand(CLI::App &lorawb, CommandIo &io)
{
    constexpr std::int64_t kMost = std::int64_t{1} << 40;
    auto args = std::make_shared<EvalArguments>();
    auto *command = addCommand(lorawb, "eval", "loss, perplexity, exact match of a model on a JSONL file");
    addModelOptions(*command, args->model);
    command->add_option("--data", args->data, "prompt/completion, chat or {\"text\"} lines")
        ->required()
        ->type_name("F.jsonl");
    command->add_option("--task", args->task, "only this task's examples")->type_name("T");
    command->add_option("--max-examples", args->maxExamples, "the first N examples (in file order)")
        ->check(wholeNumber(1, kMost))
        ->type_name("N");
    command->add_option("--exact-match", args->exactMatch, "add greedy exact match per task")
        ->check(CLI::IsMember({"yes", "no"}))
        ->type_name("yes|no")
        ->capture_default_str();
    command->add_option("--batch-size", args->batchSize, "examples per forward (loss) and prompts decoded together")
        ->check(wholeNumber(1, kMost))
        ->capture_default_str();
    command
        ->add_option("--progress", args->progress,
                     "on stderr: auto (a rewritten line on a terminal, else plain lines), line, plain, off")
        ->check(CLI::IsMember({"auto", "line", "plain", "off"}))
        ->type_name("auto|line|plain|off")
        ->capture_default_str();
    command->callback([args, &io] { io.status = evaluate(*args, io.out, io.err); });
}

} // namespace lwb::cli
