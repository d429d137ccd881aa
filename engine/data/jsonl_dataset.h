// JSONL datasets: one JSON object per line, each turned into a prompt and a
// completion (the loss scores the completion only; see batch_builder.h).
//
// A line has exactly one of these shapes, plus an optional "task" string
// (default "default") that groups examples for per-task exact match:
//   {"prompt": P, "completion": C}            prompt P, completion C, as written
//   {"instruction": I, "input": X, "output": O}
//                                             prompt "I\nX\n" ("I\n" when X is
//                                             empty or absent), completion O
//   {"messages": [{"role": R, "content": T}, ...]}
//                                             a chat: the tokenizer's chat
//                                             template, or the default one
//                                             (every message but the last as
//                                             "R: T\n", then "assistant: " is
//                                             the prompt; the last message, which
//                                             must be the assistant's, is the
//                                             completion); see chat_format.h.
//                                             Roles: system, user, assistant.
//   {"text": T}                               empty prompt, completion T (every
//                                             token scored: plain language modelling)
// Anything else is a bad line: not JSON, not an object, a missing or
// non-string field, an unknown key (a misspelt "completion" must not pass
// silently), an empty completion. Blank lines are ignored. Torch-free.
#pragma once

#include "engine/data/chat_format.h"
#include "engine/data/task_generator.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

constexpr const char *kDefaultJsonlTask = "default";

struct BadLine
{
    std::string where; // "file:line"
    std::string reason;
};

struct JsonlDataset
{
    std::vector<TaskExample> examples;
    std::vector<BadLine> badLines; // the skipped lines (skipBadLines only)
};

// One parsed line; chat lines go through `chat`. Throws lwb::Error(where,
// reason) for a bad line, ChatTemplateSyntaxError for an unusable template.
TaskExample parseJsonlExample(const nlohmann::json &line, const std::string &where, const ChatFormat &chat = {});

// Reads a whole file. A missing file is an Error naming it. Bad lines throw one
// Error that lists them all (file:line and reason; the first 20, then a count)
// unless skipBadLines, which keeps them in badLines instead. A chat template
// that does not parse is never a bad line: its ChatTemplateSyntaxError ends
// the read.
JsonlDataset readJsonlDataset(const std::string &path, bool skipBadLines, const ChatFormat &chat = {});

// Whether an example goes to the evaluation side of a ratio split: a hash of
// its prompt and completion, so the split does not depend on line order.
bool isEvalByRatio(const TaskExample &example, double evalRatio);

} // namespace lwb
