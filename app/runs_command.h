// `lorawb runs ...`: look after the run store from a terminal — list, show,
// compare, export, delete, tag and annotate runs.
//
// args are the words after `runs`; `--db PATH` may appear anywhere among them
// (default: lwb::storage::defaultDatabasePath()). Results go to out, errors
// to err; the return value is the exit status (0 ok, 1 failed or declined,
// 2 usage). `delete` asks on `in` unless --yes is given.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lwb::cli {

int runRunsCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err, std::istream &in);

} // namespace lwb::cli
