// EvalProgressPrinter: the progress line of a long evaluation in a shell
// (issue 24, part 2), fed by the evaluator's EvalProgress callbacks
// (eval_progress.h). `lorawb eval` uses it; the trainer's console printer can
// forward its TrainObserver::onEvalProgress to one for the final evaluation.
//
// - On a terminal (overwrite = true) every report rewrites one line with a
//   carriage return ("eval loss  128/512 examples  12.1 s  ETA 36 s"), padded
//   so that a shorter line hides a longer one; the phase's last report ends
//   the line. Elsewhere (a log file, a pipe) plain lines, throttled so that a
//   long evaluation writes a line per kPlainLineEverySeconds of its own
//   elapsed time, plus its first report, its first batch's and its last.
// - The estimate: after a phase's first batch, when what is left would take
//   at least kEstimateFromSeconds at that batch's rate, one line says so
//   ("eval exact match: about 512 examples, ~36 s at the first batch's
//   rate") before the rest runs.
// Time comes only from the reports (their elapsedSeconds), so a recorded
// sequence of reports prints the same text every time (the test does this).
#pragma once

#include "engine/eval/eval_progress.h"

#include <iosfwd>
#include <string>

namespace lwb {

class EvalProgressPrinter
{
public:
    static constexpr double kEstimateFromSeconds = 5.0;
    static constexpr double kPlainLineEverySeconds = 10.0;

    EvalProgressPrinter(std::ostream &out, bool overwrite);

    void print(const EvalProgress &progress);

    // As an EvalProgressCallback (the printer must outlive the evaluation).
    EvalProgressCallback callback();

private:
    void startPhase(const EvalProgress &progress);
    void printLine(const std::string &line, bool last);

    std::ostream &out_;
    bool overwrite_;
    std::string phase_;          // the phase being printed; empty before the first report
    bool estimated_ = false;     // the phase's estimate was considered
    bool lineOpen_ = false;      // a carriage-return line is on the screen without its newline
    std::size_t shownWidth_ = 0; // width of the line on the screen
    double lastPlainAt_ = -1.0;  // elapsedSeconds of the last plain line
};

} // namespace lwb
