// `lorawb export RUN_ID --format peft|merged|base|bundle ...`: a run's adapter as
// files other tools load (PEFT folder, merged Hugging Face checkpoint, SiRA
// bundle), through lwb::exportRun; each file written is recorded with its
// SHA-256 as an artifact of the run. (`lorawb runs export` is another thing:
// the run's metrics as CSV or JSON.)
//
// Registered as the `export` subcommand of lorawb's one command line
// (app/command_line.h).
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addExportCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
