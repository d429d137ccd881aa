// See inspect_command.h. Wiring only: arguments -> tokenizer / model -> JSON.
#include "app/inspect_command.h"

#include "engine/core/error.h"
#include "engine/export/peft_import.h"
#include "engine/model/generation.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>

namespace lwb::cli {

namespace {

// --name value pairs; every name must be one of `known`.
std::map<std::string, std::string> parseOptions(const std::vector<std::string> &words,
                                                const std::vector<std::string> &known, const std::string &usage)
{
    std::map<std::string, std::string> options;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto &word = words[i];
        if (std::find(known.begin(), known.end(), word) == known.end())
            throw Error(word, "unknown argument (" + usage + ")");
        if (i + 1 == words.size())
            throw Error(word, "expects a value (" + usage + ")");
        options[word] = words[++i];
    }
    return options;
}

std::string required(const std::map<std::string, std::string> &options, const std::string &name,
                     const std::string &usage)
{
    const auto found = options.find(name);
    if (found == options.end())
        throw Error(name, "missing (" + usage + ")");
    return found->second;
}

std::unique_ptr<Tokenizer> tokenizerAt(const std::string &path)
{
    if (path == "byte")
        return std::make_unique<ByteTokenizer>();
    return BpeTokenizer::fromFile(path);
}

// The model of a checkpoint folder, its adapter, and the tokenizer beside it.
struct LoadedModel
{
    CausalLM model{nullptr};
    std::unique_ptr<Tokenizer> tokenizer;
};

LoadedModel loadModel(const std::map<std::string, std::string> &options, const std::string &usage)
{
    const auto folder = required(options, "--model", usage);
    LoadedModel loaded;
    loaded.model = loadHfCausalLM(folder);
    if (const auto adapter = options.find("--adapter"); adapter != options.end())
        importPeftAdapter(adapter->second, *loaded.model);
    loaded.model->eval();
    const bool hasTokenizer = std::filesystem::exists(std::filesystem::path(folder) / "tokenizer.json");
    loaded.tokenizer = tokenizerAt(hasTokenizer ? folder : "byte");
    if (loaded.tokenizer->vocabSize() > loaded.model->config().vocabSize)
        throw Error(folder, "its tokenizer has " + std::to_string(loaded.tokenizer->vocabSize())
                                + " ids, the model's embedding " + std::to_string(loaded.model->config().vocabSize));
    return loaded;
}

std::vector<std::int64_t> withBos(const Tokenizer &tokenizer, const std::string &text)
{
    std::vector<std::int64_t> ids;
    if (const auto bos = tokenizer.bosId())
        ids.push_back(*bos);
    const auto encoded = tokenizer.encode(text);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    return ids;
}

} // namespace

int runTokenizeCommand(const std::vector<std::string> &args, std::istream &in, std::ostream &out)
{
    const std::string usage = "lorawb tokenize --tokenizer PATH|byte < lines";
    const auto options = parseOptions(args, {"--tokenizer"}, usage);
    const auto tokenizer = tokenizerAt(required(options, "--tokenizer", usage));
    std::string line;
    while (std::getline(in, line))
        out << nlohmann::json(tokenizer->encode(line)).dump() << '\n';
    return 0;
}

int runScoreCommand(const std::vector<std::string> &args, std::ostream &out)
{
    const std::string usage = "lorawb score --model DIR [--adapter DIR] --text-file F";
    const auto options = parseOptions(args, {"--model", "--adapter", "--text-file"}, usage);
    const auto path = required(options, "--text-file", usage);
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(path, "cannot open");
    std::stringstream text;
    text << file.rdbuf();
    auto loaded = loadModel(options, usage);
    const auto ids = withBos(*loaded.tokenizer, text.str());
    const auto limit = loaded.model->config().maxPositions;
    if (static_cast<std::int64_t>(ids.size()) > limit)
        throw Error(path, std::to_string(ids.size()) + " tokens, more than the model's " + std::to_string(limit)
                              + " positions");
    torch::NoGradGuard noGrad;
    const auto logits = loaded.model->forward(torch::tensor(ids, torch::kLong).unsqueeze(0)).squeeze(0).to(torch::kDouble);
    const auto logProbs = torch::log_softmax(logits, -1); // [T, V]: position t predicts token t + 1
    nlohmann::json scores = nlohmann::json::array({nullptr});
    double total = 0.0;
    for (std::size_t t = 1; t < ids.size(); ++t) {
        const double value = logProbs[static_cast<std::int64_t>(t) - 1][ids[t]].item<double>();
        scores.push_back(value);
        total += value;
    }
    const auto scored = static_cast<double>(ids.size() > 1 ? ids.size() - 1 : 1);
    out << nlohmann::json{{"ids", ids}, {"logprobs", scores}, {"total_logprob", total},
                          {"perplexity", std::exp(-total / scored)}}
               .dump()
        << '\n';
    return 0;
}

int runGenerateCommand(const std::vector<std::string> &args, std::ostream &out)
{
    const std::string usage = "lorawb generate --model DIR [--adapter DIR] --prompt TEXT [--max-new-tokens N] "
                              "[--temperature T] [--top-p P] [--seed S]";
    const auto options = parseOptions(
        args, {"--model", "--adapter", "--prompt", "--max-new-tokens", "--temperature", "--top-p", "--seed"}, usage);
    const auto number = [&](const std::string &name, double fallback, double min, double max) {
        const auto found = options.find(name);
        if (found == options.end())
            return fallback;
        char *end = nullptr;
        const double value = std::strtod(found->second.c_str(), &end);
        if (end == found->second.c_str() || *end != '\0' || value < min || value > max)
            throw Error(name, "\"" + found->second + "\" is not a number from " + std::to_string(min) + " to "
                                  + std::to_string(max));
        return value;
    };
    const auto maxNew = static_cast<std::int64_t>(number("--max-new-tokens", 64, 1, 1e6));
    const double temperature = number("--temperature", 0.0, 0.0, 100.0);
    const double topP = number("--top-p", 1.0, 1e-6, 1.0);
    const auto seed = static_cast<std::uint64_t>(number("--seed", 0, 0, 9e15));
    auto loaded = loadModel(options, usage);
    const auto prompt = withBos(*loaded.tokenizer, required(options, "--prompt", usage));
    GenerationOptions generation;
    generation.maxNewTokens = maxNew;
    generation.eosId = loaded.tokenizer->eosId();
    generation.temperature = temperature;
    generation.topP = topP;
    torch::manual_seed(seed);
    const auto generated = generate(*loaded.model, torch::tensor(prompt, torch::kLong).unsqueeze(0), generation);
    const auto &answer = generated.front().tokens;
    const bool finished = generated.front().finished;
    out << nlohmann::json{{"ids", answer}, {"text", loaded.tokenizer->decode(answer, SpecialTokens::Skip)},
                          {"finished", finished}}
               .dump()
        << '\n';
    return 0;
}

} // namespace lwb::cli
