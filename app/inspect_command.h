// The inspection commands (issue 4, part 7): what a tokenizer and a model do
// with a piece of text, from a shell.
//
//   lorawb tokenize --tokenizer PATH|byte [--input lines|jsonl] [--decode keep|skip]
//       one JSON array of ids per stdin line (PATH: tokenizer.json or the
//       folder holding it; "byte": the built-in byte tokenizer). --input jsonl:
//       each line is a JSON string or {"text": ...}, so texts may hold newlines.
//       --decode: each line is a JSON array of ids, written back as a JSON
//       string, special tokens kept or skipped (tests/tokenizer_peer drives both)
//   lorawb score --model DIR [--adapter DIR] --text-file F | --ids-file F.json
//       JSON: the ids (BOS first when the tokenizer prepends one, as in
//       training: engine/data/sequence_format.h) and each
//       token's log-probability given the ones before it (null for the first).
//       --ids-file: a JSON array of token ids scored as given, no tokenizer
//       (tests/interop compares them with transformers on the same ids)
//   lorawb generate --model DIR [--adapter DIR] --prompt TEXT
//                   [--max-new-tokens N] [--temperature T] [--top-p P] [--seed S]
//       the continuation: greedy at temperature 0 (the default), else
//       sampled with top-p (with a KV cache, engine/model/generation.h)
//   lorawb eval --model DIR [--adapter DIR] --data F.jsonl [--task T] [--max-examples N]
//               [--exact-match yes|no] [--batch-size N]
//       JSON: the mean loss over the scored tokens of the file's examples
//       (the completion and EOS; a {"text"} line: every token), perplexity
//       exp(loss), bits per token (loss / ln 2) and, for the byte tokenizer,
//       the same figure as bits per byte; each
//       example cut to the model's positions as in training. --task keeps
//       one task's examples, --max-examples the first N; --exact-match yes
//       adds greedy exact match per task, as a run's evaluation computes it.
//
// DIR is a Hugging Face checkpoint folder (config.json + safetensors, e.g.
// `lorawb export RUN --format base|merged`); its tokenizer.json is used when
// there is one, else the built-in byte tokenizer; builtin:NAME names a model
// the workbench ships (engine/model/base_model.h). --adapter is a PEFT LoRA
// folder put on the model first.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lwb::cli {

int runTokenizeCommand(const std::vector<std::string> &args, std::istream &in, std::ostream &out);
int runScoreCommand(const std::vector<std::string> &args, std::ostream &out);
int runGenerateCommand(const std::vector<std::string> &args, std::ostream &out);
int runEvalCommand(const std::vector<std::string> &args, std::ostream &out);

} // namespace lwb::cli
