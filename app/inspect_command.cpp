// See inspect_command.h. Wiring only: options -> tokenizer / model -> JSON.
#include "app/inspect_command.h"

#include "app/command_line.h"
#include "app/model_inputs.h"

#include "engine/core/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <istream>
#include <memory>
#include <ostream>

namespace lwb::cli {

namespace {

struct TokenizeArguments
{
    std::string tokenizer;
    std::string input;         // "", lines or jsonl
    std::string specialTokens; // "", add or none
    std::string decode;        // "", keep or skip
};

std::unique_ptr<Tokenizer> tokenizerAt(const std::string &path)
{
    if (path == "byte")
        return std::make_unique<ByteTokenizer>();
    return BpeTokenizer::fromFile(path);
}

int tokenize(const TokenizeArguments &args, std::istream &in, std::ostream &out)
{
    const auto tokenizer = tokenizerAt(args.tokenizer);
    // add: the post-processor's special tokens too (Hugging Face's add_special_tokens=True).
    const bool addSpecial = args.specialTokens == "add";
    const auto encodeText = [&](const std::string &text) {
        return addSpecial ? tokenizer->encodeWithSpecialTokens(text) : tokenizer->encode(text);
    };
    const bool jsonLines = args.input == "jsonl" || !args.decode.empty();
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        if (!jsonLines) {
            out << nlohmann::json(encodeText(line)).dump() << '\n';
            continue;
        }
        // JSON lines carry what plain lines cannot: newlines, and exact strings.
        const std::string where = "stdin line " + std::to_string(number);
        const auto value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!args.decode.empty()) {
            const auto isId = [](const nlohmann::json &id) { return id.is_number_integer(); };
            if (!value.is_array() || !std::all_of(value.begin(), value.end(), isId))
                throw Error(where, "not a JSON array of token ids");
            const auto special = args.decode == "keep" ? SpecialTokens::Keep : SpecialTokens::Skip;
            out << nlohmann::json(tokenizer->decode(value.get<std::vector<std::int64_t>>(), special)).dump() << '\n';
            continue;
        }
        const auto *text = value.is_object() && value.contains("text") ? &value.at("text") : &value;
        if (!text->is_string())
            throw Error(where, "not a JSON string or an object with a \"text\" string");
        out << nlohmann::json(encodeText(text->get<std::string>())).dump() << '\n';
    }
    return 0;
}

struct ScoreArguments
{
    ModelChoice model;
    std::string textFile;
    std::string idsFile;
};

int score(const ScoreArguments &args, std::ostream &out)
{
    auto loaded = loadModel(args.model);
    const bool fromIds = !args.idsFile.empty();
    const auto &path = fromIds ? args.idsFile : args.textFile;
    const auto ids
        = fromIds ? readIdsFile(path, loaded.model->config().vocabSize) : loaded.format.promptIds(readWholeFile(path));
    const auto limit = loaded.model->config().maxPositions;
    if (static_cast<std::int64_t>(ids.size()) > limit)
        throw Error(path, std::to_string(ids.size()) + " tokens, more than the model's " + std::to_string(limit)
                              + " positions");
    torch::NoGradGuard noGrad;
    const auto logits
        = loaded.model->forward(torch::tensor(ids, torch::kLong).unsqueeze(0)).squeeze(0).to(torch::kDouble);
    const auto logProbs = torch::log_softmax(logits, -1); // [T, V]: position t predicts token t + 1
    nlohmann::json scores = nlohmann::json::array({nullptr});
    double total = 0.0;
    for (std::size_t t = 1; t < ids.size(); ++t) {
        const double value = logProbs[static_cast<std::int64_t>(t) - 1][ids[t]].item<double>();
        scores.push_back(value);
        total += value;
    }
    const auto scored = static_cast<double>(ids.size() > 1 ? ids.size() - 1 : 1);
    out << nlohmann::json{{"ids", ids},
                          {"logprobs", scores},
                          {"total_logprob", total},
                          {"perplexity", std::exp(-total / scored)}}
               .dump()
        << '\n';
    return 0;
}

} // namespace

void addTokenizeCommand(CLI::App &lorawb, CommandIo &io)
{
    auto args = std::make_shared<TokenizeArguments>();
    auto *command = addCommand(
        lorawb, "tokenize",
        "stdin lines, or JSON strings / {\"text\"} objects with --input jsonl -> JSON id arrays; --decode: JSON id\n"
        "arrays -> JSON strings, special tokens kept or skipped");
    command->add_option("--tokenizer", args->tokenizer, "tokenizer.json, the folder holding it, or byte")
        ->required()
        ->type_name("PATH|byte");
    auto *input
        = command->add_option("--input", args->input, "what a stdin line holds: text, or a JSON string / {\"text\"}")
              ->check(CLI::IsMember({"lines", "jsonl"}))
              ->type_name("lines|jsonl");
    command
        ->add_option("--special-tokens", args->specialTokens,
                     "add: the post-processor's special tokens too (add_special_tokens=True)")
        ->check(CLI::IsMember({"add", "none"}))
        ->type_name("add|none");
    command->add_option("--decode", args->decode, "read JSON id arrays, write their text")
        ->check(CLI::IsMember({"keep", "skip"}))
        ->type_name("keep|skip")
        ->excludes(input);
    command->callback([args, &io] { io.status = tokenize(*args, io.in, io.out); });
}

void addScoreCommand(CLI::App &lorawb, CommandIo &io)
{
    auto args = std::make_shared<ScoreArguments>();
    auto *command = addCommand(lorawb, "score", "per-token log-probabilities of a text or of token ids, JSON");
    addModelOptions(*command, args->model);
    auto *text
        = command
              ->add_option("--text-file", args->textFile, "the text scored (BOS first when the tokenizer prepends one)")
              ->type_name("F");
    command->add_option("--ids-file", args->idsFile, "a JSON array of token ids scored as given, no tokenizer")
        ->type_name("F.json")
        ->excludes(text);
    command->callback([args, &io] {
        if (args->textFile.empty() && args->idsFile.empty())
            throw UsageError{"give --text-file F or --ids-file F.json"};
        io.status = score(*args, io.out);
    });
}

} // namespace lwb::cli
