// See jsonl_dataset.h.
#include "engine/data/jsonl_dataset.h"

#include "engine/core/error.h"

#include <fstream>
#include <set>

namespace lwb {

namespace {

constexpr std::size_t kListedBadLines = 20;

std::string stringField(const nlohmann::json &line, const char *key, const std::string &where)
{
    const auto found = line.find(key);
    if (found == line.end())
        throw Error(where, std::string("missing \"") + key + "\"");
    if (!found->is_string())
        throw Error(where, std::string("\"") + key + "\" must be a string, not " + found->type_name());
    return found->get<std::string>();
}

void onlyKeys(
    const nlohmann::json &line, const std::set<std::string> &allowed, const char *shape, const std::string &where)
{
    for (const auto &item : line.items())
        if (item.key() != "task" && allowed.count(item.key()) == 0)
            throw Error(where, "unknown key \"" + item.key() + "\" in a " + shape + " line");
}

std::string chatPrompt(const nlohmann::json &messages, std::string &completion, const std::string &where)
{
    if (!messages.is_array() || messages.empty())
        throw Error(where, "\"messages\" must be a non-empty array of {\"role\", \"content\"} objects");
    std::string prompt;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto &message = messages[i];
        const auto at = where + " messages[" + std::to_string(i) + "]";
        if (!message.is_object())
            throw Error(at, "must be an object with \"role\" and \"content\"");
        const auto role = stringField(message, "role", at);
        const auto content = stringField(message, "content", at);
        for (const auto &item : message.items())
            if (item.key() != "role" && item.key() != "content")
                throw Error(at, "unknown key \"" + item.key() + "\"");
        if (role != "system" && role != "user" && role != "assistant")
            throw Error(at, "role \"" + role + "\" is not system, user or assistant");
        if (i + 1 == messages.size()) {
            if (role != "assistant")
                throw Error(at, "the last message must be the assistant's (it is the completion)");
            completion = content;
        } else {
            prompt += role + ": " + content + "\n";
        }
    }
    return prompt + "assistant: ";
}

std::uint64_t contentHash(const std::string &text)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

} // namespace

TaskExample parseJsonlExample(const nlohmann::json &line, const std::string &where)
{
    if (!line.is_object())
        throw Error(where, std::string("expected a JSON object, found ") + line.type_name());
    TaskExample example;
    example.task = kDefaultJsonlTask;
    if (line.contains("task")) {
        example.task = stringField(line, "task", where);
        if (example.task.empty())
            throw Error(where, "\"task\" must not be empty");
    }
    if (line.contains("prompt") || line.contains("completion")) {
        onlyKeys(line, { "prompt", "completion" }, "prompt/completion", where);
        example.prompt = stringField(line, "prompt", where);
        example.answer = stringField(line, "completion", where);
    } else if (line.contains("instruction") || line.contains("output")) {
        onlyKeys(line, { "instruction", "input", "output" }, "instruction/input/output (Alpaca)", where);
        example.prompt = stringField(line, "instruction", where) + "\n";
        if (line.contains("input")) {
            const auto input = stringField(line, "input", where);
            if (!input.empty())
                example.prompt += input + "\n";
        }
        example.answer = stringField(line, "output", where);
    } else if (line.contains("messages")) {
        onlyKeys(line, { "messages" }, "chat", where);
        example.prompt = chatPrompt(line["messages"], example.answer, where);
    } else if (line.contains("text")) {
        onlyKeys(line, { "text" }, "text", where);
        example.answer = stringField(line, "text", where);
    } else {
        throw Error(where,
            "not a known shape: expected \"prompt\"+\"completion\", \"instruction\"+\"output\", "
            "\"messages\" or \"text\"");
    }
    if (example.answer.empty())
        throw Error(where, "the completion is empty: a line needs something to score");
    return example;
}

JsonlDataset readJsonlDataset(const std::string &path, bool skipBadLines)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(path, "cannot open the dataset (missing or unreadable)");
    JsonlDataset dataset;
    std::string text;
    std::int64_t number = 0;
    while (std::getline(file, text)) {
        ++number;
        if (!text.empty() && text.back() == '\r')
            text.pop_back();
        if (text.find_first_not_of(" \t") == std::string::npos)
            continue;
        const auto where = path + ":" + std::to_string(number);
        try {
            nlohmann::json line;
            try {
                line = nlohmann::json::parse(text);
            } catch (const nlohmann::json::parse_error &error) {
                // nlohmann's message names the column; keep only that part.
                std::string message = error.what();
                const auto colon = message.find("parse error");
                throw Error(where, "not valid JSON: " + (colon == std::string::npos ? message : message.substr(colon)));
            }
            dataset.examples.push_back(parseJsonlExample(line, where));
        } catch (const Error &error) {
            dataset.badLines.push_back({ error.where(), error.reason() });
        }
    }
    if (!dataset.badLines.empty() && !skipBadLines) {
        std::string list;
        for (std::size_t i = 0; i < dataset.badLines.size() && i < kListedBadLines; ++i)
            list += "\n  " + dataset.badLines[i].where + ": " + dataset.badLines[i].reason;
        if (dataset.badLines.size() > kListedBadLines)
            list += "\n  ... and " + std::to_string(dataset.badLines.size() - kListedBadLines) + " more";
        throw Error(path,
            std::to_string(dataset.badLines.size()) + " bad line" + (dataset.badLines.size() == 1 ? "" : "s")
                + " (set data.skip_bad_lines=true to skip them):" + list);
    }
    if (dataset.examples.empty())
        throw Error(path, "no examples (the file is empty or every line was bad)");
    return dataset;
}

bool isEvalByRatio(const TaskExample &example, double evalRatio)
{
    const auto h = contentHash(example.task + '\x1f' + example.prompt + '\x1f' + example.answer);
    return static_cast<double>(h % 1000000) < evalRatio * 1000000.0;
}

} // namespace lwb
