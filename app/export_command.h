// `lorawb export RUN_ID --format peft|merged|base|bundle ...`: a run's adapter as
// files other tools load (PEFT folder, merged Hugging Face checkpoint, SiRA
// bundle), through lwb::exportRun; each file written is recorded with its
// SHA-256 as an artifact of the run. (`lorawb runs export` is another thing:
// the run's metrics as CSV or JSON.)
//
// args are the words after `export`. Output to out, errors to err; returns
// the exit status (0 ok, 1 failed, 2 usage).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lwb::cli {

int runExportCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace lwb::cli
