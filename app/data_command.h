// `lorawb data ...`: build datasets from a terminal.
//
//   lorawb data build-lexicon [--out DIR] [--max-per-task N] [--seed S]
//       [--wordnet-dir DIR] [--dictd-dir DIR]
// writes DIR/{train,eval,test}.jsonl (default DIR: ./lexicon) from the
// installed WordNet and FreeDict packages and prints the examples per task
// and split (see engine/data/lexicon/README.md). Registered as the `data`
// subcommand of lorawb's one command line (app/command_line.h).
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addDataCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
