// `lorawb runs ...`: look after the run store from a terminal — list, show,
// compare, export, delete, tag and annotate runs.
//
// Registered as the `runs` subcommand of lorawb's one command line
// (app/command_line.h); `--db PATH` may stand before or after the
// subcommand (default: lwb::storage::defaultDatabasePath()). `delete` asks
// on the input stream unless --yes is given.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addRunsCommand(CLI::App &lorawb, CommandIo &io);

// `lorawb runs ARGS...` on its own (the run-store suites drive it without
// the engine): the words after `runs`; returns the exit status.
int runRunsCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err, std::istream &in);

} // namespace lwb::cli
