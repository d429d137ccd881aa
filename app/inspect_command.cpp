// See inspect_command.h. Wiring only: arguments -> tokenizer / model -> JSON.
#include "app/inspect_command.h"

#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/data/batch_builder.h"
#include "engine/data/jsonl_dataset.h"
#include "engine/eval/evaluator.h"
#include "engine/export/peft_import.h"
#include "engine/model/base_model.h"
#include "engine/model/generation.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
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

// The model of a checkpoint folder, its adapter, and how text is encoded
// for it (the tokenizer.json beside it, else the byte tokenizer).
struct LoadedModel
{
    CausalLM model{nullptr};
    SequenceFormat format = SequenceFormat::byteLevel();
};

LoadedModel loadModel(const std::map<std::string, std::string> &options, const std::string &usage)
{
    const auto folder = resolveModelPath(required(options, "--model", usage));
    LoadedModel loaded;
    loaded.model = loadHfCausalLM(folder);
    if (const auto adapter = options.find("--adapter"); adapter != options.end())
        importPeftAdapter(adapter->second, *loaded.model);
    loaded.model->eval();
    loaded.format = SequenceFormat::forModelFolder(folder, loaded.model->config().vocabSize);
    return loaded;
}

} // namespace

int runTokenizeCommand(const std::vector<std::string> &args, std::istream &in, std::ostream &out)
{
    const std::string usage = "lorawb tokenize --tokenizer PATH|byte [--input lines|jsonl] [--special-tokens add|none] "
                              "[--decode keep|skip] < stdin";
    const auto options = parseOptions(args, {"--tokenizer", "--input", "--decode", "--special-tokens"}, usage);
    const auto choice = [&](const std::string &name, const std::string &first, const std::string &second) {
        const auto found = options.find(name);
        if (found == options.end())
            return std::string();
        if (found->second != first && found->second != second)
            throw Error(name, "\"" + found->second + "\" is not " + first + " or " + second);
        return found->second;
    };
    const auto input = choice("--input", "lines", "jsonl");
    const auto decode = choice("--decode", "keep", "skip");
    if (!decode.empty() && !input.empty())
        throw Error("--input", "only for encoding: --decode reads one JSON id array per line (" + usage + ")");
    const auto tokenizer = tokenizerAt(required(options, "--tokenizer", usage));
    // add: the post-processor's special tokens too (Hugging Face's add_special_tokens=True).
    const bool addSpecial = choice("--special-tokens", "add", "none") == "add";
    const auto encodeText = [&](const std::string &text) {
        return addSpecial ? tokenizer->encodeWithSpecialTokens(text) : tokenizer->encode(text);
    };
    const bool jsonLines = input == "jsonl" || !decode.empty();
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        if (!jsonLines) {
            out << nlohmann::json(encodeText(line)).dump() << '\n';
            continue;
        }
        // JSON lines carry what plain lines cannot: newlines, and exact strings.
        const std::string where = "stdin line " + std::to_string(number);
        const auto value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!decode.empty()) {
            const auto isId = [](const nlohmann::json &id) { return id.is_number_integer(); };
            if (!value.is_array() || !std::all_of(value.begin(), value.end(), isId))
                throw Error(where, "not a JSON array of token ids");
            const auto special = decode == "keep" ? SpecialTokens::Keep : SpecialTokens::Skip;
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

namespace {

// The bytes of a file.
std::string readWholeFile(const std::string &path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(path, "cannot open");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// A JSON array of token ids, each in [0, vocabSize): what another library
// scored, given as ids so that no tokenizer stands between the two.
std::vector<std::int64_t> readIdsFile(const std::string &path, std::int64_t vocabSize)
{
    nlohmann::json ids;
    try {
        ids = nlohmann::json::parse(readWholeFile(path));
    } catch (const nlohmann::json::parse_error &e) {
        throw Error(path, std::string("is not JSON: ") + e.what());
    }
    if (!ids.is_array() || ids.empty())
        throw Error(path, "must hold a non-empty JSON array of token ids");
    std::vector<std::int64_t> out;
    for (const auto &id : ids) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() >= vocabSize)
            throw Error(path, "holds " + id.dump() + ", not a token id from 0 to " + std::to_string(vocabSize - 1));
        out.push_back(id.get<std::int64_t>());
    }
    return out;
}

} // namespace

int runScoreCommand(const std::vector<std::string> &args, std::ostream &out)
{
    const std::string usage = "lorawb score --model DIR [--adapter DIR] --text-file F | --ids-file F.json";
    const auto options = parseOptions(args, {"--model", "--adapter", "--text-file", "--ids-file"}, usage);
    if (options.count("--text-file") == options.count("--ids-file"))
        throw Error("score", "give either --text-file or --ids-file (" + usage + ")");
    auto loaded = loadModel(options, usage);
    const bool fromIds = options.count("--ids-file") > 0;
    const auto path = fromIds ? options.at("--ids-file") : options.at("--text-file");
    const auto ids = fromIds ? readIdsFile(path, loaded.model->config().vocabSize)
                             : loaded.format.promptIds(readWholeFile(path));
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

int runEvalCommand(const std::vector<std::string> &args, std::ostream &out)
{
    const std::string usage = "lorawb eval --model DIR [--adapter DIR] --data F.jsonl [--task T] [--max-examples N] "
                              "[--exact-match yes|no] [--batch-size N]";
    const auto options = parseOptions(
        args, {"--model", "--adapter", "--data", "--task", "--max-examples", "--exact-match", "--batch-size"}, usage);
    const auto dataPath = required(options, "--data", usage);
    const auto count = [&](const std::string &name, std::int64_t fallback) {
        const auto found = options.find(name);
        if (found == options.end())
            return fallback;
        char *end = nullptr;
        const auto value = std::strtoll(found->second.c_str(), &end, 10);
        if (end == found->second.c_str() || *end != '\0' || value < 1 || value > (1LL << 40))
            throw Error(name, "\"" + found->second + "\" is not a whole number from 1");
        return static_cast<std::int64_t>(value);
    };
    const auto batchSize = count("--batch-size", 32);
    const auto maxExamples = count("--max-examples", std::numeric_limits<std::int64_t>::max());
    const auto exactMatch = options.count("--exact-match") ? options.at("--exact-match") : "no";
    if (exactMatch != "yes" && exactMatch != "no")
        throw Error("--exact-match", "\"" + exactMatch + "\" is not yes or no");
    configureThreads(0);
    auto loaded = loadModel(options, usage);
    auto examples = readJsonlDataset(dataPath, /*skipBadLines=*/false, loaded.format.chatFormat()).examples;
    if (const auto task = options.find("--task"); task != options.end())
        examples.erase(std::remove_if(examples.begin(), examples.end(),
                                      [&](const TaskExample &example) { return example.task != task->second; }),
                       examples.end());
    if (static_cast<std::int64_t>(examples.size()) > maxExamples)
        examples.resize(static_cast<std::size_t>(maxExamples)); // the first N in file order
    if (examples.empty())
        throw Error(dataPath, "holds no examples" + (options.count("--task") ? " of task " + options.at("--task") : ""));
    // Batches of similar lengths pad little; the loss is a sum over tokens, so order does not change it.
    std::stable_sort(examples.begin(), examples.end(), [](const TaskExample &a, const TaskExample &b) {
        return a.prompt.size() + a.answer.size() < b.prompt.size() + b.answer.size();
    });
    const auto seqLen = loaded.model->config().maxPositions - 1;
    const auto batches = buildBatches(examples, loaded.format, seqLen, batchSize);
    const auto metrics = evaluateLoss(*loaded.model, batches, torch::kCPU);
    std::int64_t scored = 0;
    for (const auto &batch : batches)
        scored += batch.scoredTokens;
    nlohmann::json result{{"data", dataPath},
                          {"examples", examples.size()},
                          {"scored_tokens", scored},
                          {"loss", metrics.loss},
                          {"perplexity", metrics.perplexity},
                          {"bits_per_token", metrics.loss / std::log(2.0)}};
    if (loaded.format.byteLevelTokens()) // a token is a byte (the answers' EOS counted as one)
        result["bits_per_byte"] = result["bits_per_token"];
    if (exactMatch == "yes") // greedy answers as in a run's evaluation, per task
        result["exact_match"] = exactMatchByTask(*loaded.model, examples, loaded.format, torch::kCPU);
    out << result.dump() << '\n';
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
    const auto prompt = loaded.format.promptIds(required(options, "--prompt", usage));
    GenerationOptions generation;
    generation.maxNewTokens = maxNew;
    generation.eosId = loaded.format.endTokenId(); // none: runs to --max-new-tokens
    generation.temperature = temperature;
    generation.topP = topP;
    torch::manual_seed(seed);
    const auto generated = generate(*loaded.model, torch::tensor(prompt, torch::kLong).unsqueeze(0), generation);
    const auto &answer = generated.front().tokens;
    const bool finished = generated.front().finished;
    out << nlohmann::json{{"ids", answer}, {"text", loaded.format.answerText(answer)},
                          {"finished", finished}}
               .dump()
        << '\n';
    return 0;
}

} // namespace lwb::cli
