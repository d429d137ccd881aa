// See jsonl_dataset.h.
#include "engine/data/jsonl_dataset.h"

#include "engine/core/error.h"
#include "engine/core/seed_mix.h"
#include "engine/data/json_fields.h"

#include <fstream>
#include <set>

namespace lwb {

namespace {

constexpr std::size_t kListedBadLines = 20;

void onlyKeys(const nlohmann::json &line, const std::set<std::string> &allowed, const char *shape,
              const std::string &where)
{
    for (const auto &item : line.items())
        if (item.key() != "task" && allowed.count(item.key()) == 0)
            throw Error(where, "unknown key \"" + item.key() + "\" in a " + shape + " line");
}

std::uint64_t contentHash(const std::string &text)
{
    std::uint64_t h = fnv1a64(text);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

} // namespace

TaskExample parseJsonlExample(const nlohmann::json &line, const std::string &where, const ChatFormat &chat)
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
        onlyKeys(line, {"prompt", "completion"}, "prompt/completion", where);
        example.prompt = stringField(line, "prompt", where);
        example.answer = stringField(line, "completion", where);
    } else if (line.contains("instruction") || line.contains("output")) {
        onlyKeys(line, {"instruction", "input", "output"}, "instruction/input/output (Alpaca)", where);
        example.prompt = stringField(line, "instruction", where) + "\n";
        if (line.contains("input")) {
            const auto input = stringField(line, "input", where);
            if (!input.empty())
                example.prompt += input + "\n";
        }
        example.answer = stringField(line, "output", where);
    } else if (line.contains("messages")) {
        onlyKeys(line, {"messages"}, "chat", where);
        chat.split(line["messages"], example.prompt, example.answer, where);
    } else if (line.contains("text")) {
        onlyKeys(line, {"text"}, "text", where);
        example.answer = stringField(line, "text", where);
    } else {
        throw Error(where, "not a known shape: expected \"prompt\"+\"completion\", \"instruction\"+\"output\", "
                           "\"messages\" or \"text\"");
    }
    if (example.answer.empty())
        throw Error(where, "the completion is empty: a line needs something to score");
    return example;
}

JsonlDataset readJsonlDataset(const std::string &path, bool skipBadLines, const ChatFormat &chat)
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
            } catch (const nlohmann::json::exception &error) {
                // A syntax error, or a number beyond a double ("1e400",
                // out_of_range 406: found by tests/fuzz). nlohmann's message
                // names the column; keep only that part.
                std::string message = error.what();
                const auto colon = message.find("parse error");
                throw Error(where, "not valid JSON: " + (colon == std::string::npos ? message : message.substr(colon)));
            }
            dataset.examples.push_back(parseJsonlExample(line, where, chat));
        } catch (const ChatTemplateSyntaxError &) {
            throw; // the template's fault, not this line's
        } catch (const Error &error) {
            dataset.badLines.push_back({error.where(), error.reason()});
        }
    }
    if (!dataset.badLines.empty() && !skipBadLines) {
        std::string list;
        for (std::size_t i = 0; i < dataset.badLines.size() && i < kListedBadLines; ++i)
            list += "\n  " + dataset.badLines[i].where + ": " + dataset.badLines[i].reason;
        if (dataset.badLines.size() > kListedBadLines)
            list += "\n  ... and " + std::to_string(dataset.badLines.size() - kListedBadLines) + " more";
        throw Error(path, std::to_string(dataset.badLines.size()) + " bad line"
                              + (dataset.badLines.size() == 1 ? "" : "s")
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
