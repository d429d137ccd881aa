// The inspection commands (issue 4, part 7): what a tokenizer and a model do
// with a piece of text, from a shell.
//
//   lorawb tokenize --tokenizer PATH|byte [--input lines|jsonl] [--special-tokens add|none]
//                   [--decode keep|skip]
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
//
// `lorawb generate` and `lorawb eval` are in generate_command.h and
// eval_command.h; DIR and --adapter as model_inputs.h says.
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addTokenizeCommand(CLI::App &lorawb, CommandIo &io);
void addScoreCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
