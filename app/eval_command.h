// lorawb eval --model DIR [--adapter DIR] --data F.jsonl [--task T] [--max-examples N]
//             [--exact-match yes|no] [--batch-size N] [--progress auto|line|plain|off]
//
// Prints JSON: the mean loss over the scored tokens of the file's examples
// (the completion and EOS; a {"text"} line: every token), perplexity
// exp(loss), bits per token (loss / ln 2) and, for the byte tokenizer, the
// same figure as bits per byte; each example cut to the model's positions as
// in training. --task keeps one task's examples, --max-examples the first N;
// --exact-match yes adds greedy exact match per task, as a run's evaluation
// computes it (engine/eval/evaluator.h). While it runs, stderr shows each
// phase's progress with an ETA and, before a long phase, an estimate of its
// time at the first batch's rate (engine/eval/eval_progress_printer.h); stdout
// holds only the JSON. DIR and --adapter as model_inputs.h says.
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addEvalCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
