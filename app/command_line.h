// lorawb's command line: one CLI11 App ("lorawb") with a subcommand per
// command, each registered by the file that implements it (addTrainCommands,
// addRunsCommand, ...; lorawb_main.cpp puts them together). This file owns
// what every command shares: the house style of a command, how errors are
// reported and the exit status. Torch-free, so the run-store suites can
// drive `lorawb runs` without the engine.
//
// Exit status: 0 done; 1 the command failed (bad config, missing run, an
// existing export, a declined delete: lwb::Error, naming the file and the
// place); 2 usage (unknown command or option, a missing or malformed
// argument: the message, then where the help is); 3 internal error; 130 a
// training stopped by Ctrl-C.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
class Validator;
} // namespace CLI

namespace lwb::cli {

// The streams a command writes to and reads from, and its exit status: a
// subcommand's callback stores its result in `status`.
struct CommandIo
{
    std::ostream &out;
    std::ostream &err;
    std::istream &in;
    int status = 0;
};

// A usage mistake found after CLI11 has parsed (a run id that is not a
// number, an unknown status): reported like CLI11's own, exit status 2.
struct UsageError
{
    std::string message;
};

// Accepts a whole number from min to max, and says so when it is not
// (CLI11's own range check prints its bounds as doubles).
CLI::Validator wholeNumber(std::int64_t min, std::int64_t max);

// A subcommand of `parent` that shares its help formatting.
CLI::App *addCommand(CLI::App &parent, const std::string &name, const std::string &description);

// Parses `args` (the words after the program name) with `app`, runs the
// chosen command's callback and returns the exit status; help goes to out,
// errors to err, each message naming the command ("lorawb runs show: ...").
int runCommandLine(CLI::App &app, const std::vector<std::string> &args, CommandIo &io);

} // namespace lwb::cli
