// lorawb generate --model DIR [--adapter DIR] --prompt TEXT [--max-new-tokens N]
//                 [--temperature T] [--top-p P] [--seed S]
//
// Prints the continuation of a prompt as JSON ({"ids", "text", "finished"}):
// greedy at temperature 0 (the default), else sampled with top-p, with a KV
// cache (engine/model/generation.h). DIR and --adapter as model_inputs.h
// says.
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addGenerateCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
