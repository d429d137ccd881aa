// `lorawb data ...`: build datasets from a terminal.
//
//   lorawb data build-lexicon [--out DIR] [--max-per-task N] [--seed S]
//       [--wordnet-dir DIR] [--dictd-dir DIR]
// writes DIR/{train,eval,test}.jsonl (default DIR: ./lexicon) from the
// installed WordNet and FreeDict packages and prints the examples per task
// and split (see engine/data/lexicon/README.md).
//
// args are the words after `data`. Results go to out, errors to err; the
// return value is the exit status (0 ok, 1 failed, 2 usage).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lwb::cli {

int runDataCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace lwb::cli
