// See generate_command.h. Wiring only: options -> GenerationOptions -> generate -> JSON.
#include "app/generate_command.h"

#include "app/command_line.h"
#include "app/model_inputs.h"

#include "engine/model/generation.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <memory>
#include <ostream>

namespace lwb::cli {

namespace {

struct GenerateArguments
{
    ModelChoice model;
    std::string prompt;
    std::int64_t maxNewTokens = 64;
    double temperature = 0.0;
    double topP = 1.0;
    std::int64_t seed = 0;
};

int generateText(const GenerateArguments &args, std::ostream &out)
{
    auto loaded = loadModel(args.model);
    const auto prompt = loaded.format.promptIds(args.prompt);
    GenerationOptions generation;
    generation.maxNewTokens = args.maxNewTokens;
    generation.eosId = loaded.format.endTokenId(); // none: runs to --max-new-tokens
    generation.temperature = args.temperature;
    generation.topP = args.topP;
    torch::manual_seed(static_cast<std::uint64_t>(args.seed));
    const auto generated = generate(*loaded.model, torch::tensor(prompt, torch::kLong).unsqueeze(0), generation);
    const auto &answer = generated.front().tokens;
    out << nlohmann::json{{"ids", answer}, {"text", loaded.format.answerText(answer)},
                          {"finished", generated.front().finished}}
               .dump()
        << '\n';
    return 0;
}

} // namespace

void addGenerateCommand(CLI::App &lorawb, CommandIo &io)
{
    auto args = std::make_shared<GenerateArguments>();
    auto *command = addCommand(lorawb, "generate",
        "a continuation of a prompt, JSON (DIR: a Hugging Face folder, e.g. lorawb export --format base)");
    addModelOptions(*command, args->model);
    command->add_option("--prompt", args->prompt, "the text continued")->required()->type_name("TEXT");
    command->add_option("--max-new-tokens", args->maxNewTokens, "the most tokens generated")
        ->check(wholeNumber(1, 1000000))
        ->capture_default_str();
    command->add_option("--temperature", args->temperature, "0: greedy; else sampled from softmax(logits / T)")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    command->add_option("--top-p", args->topP, "sampling: the most probable tokens whose mass reaches P")
        ->check(CLI::Range(1e-6, 1.0))
        ->capture_default_str();
    command->add_option("--seed", args->seed, "sampling: the generator's seed")
        ->check(wholeNumber(0, std::int64_t{1} << 53))
        ->capture_default_str();
    command->callback([args, &io] { io.status = generateText(*args, io.out); });
}

} // namespace lwb::cli
