// `lorawb study STUDY.json [--db PATH] [--dry-run] [--summary-only] [--report DIR]
//                          [--confidence C]`:
// a study (engine/config/study_spec.h) trained cell by cell and seed by seed
// into the run store, each run linked to the study (storage/study_store.h);
// run again, it trains only the (cell, seed) pairs without a finished run.
// Prints the study's table (storage/study_summary.h) and, with --report,
// writes DIR/study.csv and DIR/study.html.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lwb::cli {

int runStudyCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace lwb::cli
