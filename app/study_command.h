// `lorawb study STUDY.json [--db PATH] [--dry-run] [--summary-only] [--report DIR]
//                          [--confidence C]`:
// a study (engine/config/study_spec.h) trained cell by cell and seed by seed
// into the run store, each run linked to the study (storage/study_store.h);
// run again, it trains only the (cell, seed) pairs without a finished run.
// Prints the study's table (storage/study_summary.h) and, with --report,
// writes DIR/study.csv and DIR/study.html.
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

// Registers `study` on lorawb's command line (app/command_line.h).
void addStudyCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
