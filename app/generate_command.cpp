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
    std::string promptIdsFile;
    std::int64_t maxNewTokens = 64;
    double temperature = 0.0;
    std::int64_t topK = 0;
    double topP = 1.0;
    double repetitionPenalty = 1.0;
    std::vector<std::string> stops;
    std::int64_t seed = 0;
};

int generateText(const GenerateArguments &args, std::ostream &out)
{
    auto loaded = loadModel(args.model);
    const auto &format = loaded.format;
    const auto prompt = args.promptIdsFile.empty() ? format.promptIds(args.prompt)
                                                   : readIdsFile(args.promptIdsFile, loaded.model->config().vocabSize);
    GenerationOptions generation;
    generation.maxNewTokens = args.maxNewTokens;
    generation.eosIds = format.stopIds(); // every eos_token_id of the checkpoint; none: runs to --max-new-tokens
    generation.temperature = args.temperature;
    generation.topK = args.topK;
    generation.topP = args.topP;
    generation.repetitionPenalty = args.repetitionPenalty;
    generation.stopStrings = args.stops;
    generation.detokenize = [&format](const std::vector<std::int64_t> &ids) { return format.answerText(ids); };
    torch::manual_seed(static_cast<std::uint64_t>(args.seed));
    const auto generated = generate(*loaded.model, torch::tensor(prompt, torch::kLong).unsqueeze(0), generation);
    const auto &sequence = generated.front();
    auto text = format.answerText(sequence.tokens);
    nlohmann::json result{{"ids", sequence.tokens}, {"finished", sequence.finished}};
    if (!sequence.stopString.empty()) { // the text ends before the stop string, as transformers' users cut it
        text.erase(text.find(sequence.stopString));
        result["stop_string"] = sequence.stopString;
    }
    result["text"] = text;
    // A token may end inside a UTF-8 character (a byte-level BPE piece): such bytes print as U+FFFD.
    out << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return 0;
}

} // namespace

void addGenerateCommand(CLI::App &lorawb, CommandIo &io)
{
    auto args = std::make_shared<GenerateArguments>();
    auto *command
        = addCommand(lorawb, "generate",
                     "a continuation of a prompt, JSON (DIR: a Hugging Face folder, e.g. lorawb export --format base)");
    command->footer(
        "Prints {\"ids\", \"finished\", \"text\"[, \"stop_string\"]}. Decoding stops at any of the checkpoint's end\n"
        "ids (generation_config.json's eos_token_id may be a list; lorawb inspect shows them), when the\n"
        "continuation's text contains a --stop string (the text is cut before it; ids keep the token that\n"
        "completed it), or after --max-new-tokens. Each step: repetition penalty, then greedy (temperature 0)\n"
        "or softmax(logits / T), top-k, top-p and one draw, in transformers' order (engine/model/generation.h).");
    addModelOptions(*command, args->model);
    auto *prompt = command->add_option("--prompt", args->prompt, "the text continued")->type_name("TEXT");
    command
        ->add_option("--prompt-ids", args->promptIdsFile,
                     "a JSON array of token ids continued as given, no "
                     "tokenizer")
        ->type_name("F.json")
        ->excludes(prompt);
    command->add_option("--max-new-tokens", args->maxNewTokens, "the most tokens generated")
        ->check(wholeNumber(1, 1000000))
        ->capture_default_str();
    command->add_option("--temperature", args->temperature, "0: greedy; else sampled from softmax(logits / T)")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    command->add_option("--top-k", args->topK, "sampling: only the K most probable tokens (0: all)")
        ->check(wholeNumber(0, std::int64_t{1} << 31))
        ->capture_default_str();
    command->add_option("--top-p", args->topP, "sampling: the most probable tokens whose mass reaches P")
        ->check(CLI::Range(1e-6, 1.0))
        ->capture_default_str();
    command
        ->add_option("--repetition-penalty", args->repetitionPenalty,
                     "a logit of a token in prompt or continuation: / R when positive, * R when negative (1: off)")
        ->check(CLI::Range(1e-6, 100.0))
        ->capture_default_str();
    command->add_option("--stop", args->stops, "stop when the continuation's text contains STRING (repeatable)")
        ->type_name("STRING")
        ->allow_extra_args(false);
    command->add_option("--seed", args->seed, "sampling: the generator's seed")
        ->check(wholeNumber(0, std::int64_t{1} << 53))
        ->capture_default_str();
    command->callback([args, &io] {
        if (args->prompt.empty() && args->promptIdsFile.empty())
            throw UsageError{"give --prompt TEXT or --prompt-ids F.json"};
        io.status = generateText(*args, io.out);
    });
}

} // namespace lwb::cli
