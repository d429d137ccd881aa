// See eval_progress_printer.h.
#include "engine/eval/eval_progress_printer.h"

#include <cmath>
#include <ostream>

namespace lwb {

EvalProgressPrinter::EvalProgressPrinter(std::ostream &out, bool overwrite)
    : out_(out)
    , overwrite_(overwrite)
{
}

EvalProgressCallback EvalProgressPrinter::callback()
{
    return [this](const EvalProgress &progress) { print(progress); };
}

void EvalProgressPrinter::startPhase(const EvalProgress &progress)
{
    if (lineOpen_) { // the previous phase stopped short of its total (stopped, or a cut)
        out_ << '\n';
        lineOpen_ = false;
    }
    phase_ = progress.phase;
    estimated_ = false;
    shownWidth_ = 0;
    lastPlainAt_ = -1.0;
}

void EvalProgressPrinter::printLine(const std::string &line, bool last)
{
    if (overwrite_) {
        // Pad over what a longer line left on the screen.
        const auto padding = shownWidth_ > line.size() ? shownWidth_ - line.size() : 0;
        out_ << '\r' << line << std::string(padding, ' ');
        shownWidth_ = line.size();
        lineOpen_ = !last;
        if (last)
            out_ << '\n';
    } else {
        out_ << line << '\n';
    }
    out_.flush();
}

void EvalProgressPrinter::print(const EvalProgress &progress)
{
    if (progress.phase != phase_ || progress.done == 0) // the evaluator opens each phase with done 0
        startPhase(progress);
    const bool last = progress.done >= progress.total;
    const bool firstBatch = !estimated_ && progress.done > 0;
    if (firstBatch) {
        estimated_ = true;
        if (!last && progress.remainingSeconds >= kEstimateFromSeconds) {
            const double total = progress.elapsedSeconds + progress.remainingSeconds;
            const auto line = "eval " + progress.phase + ": about " + std::to_string(progress.total) + " examples, ~"
                              + std::to_string(static_cast<long long>(std::ceil(total)))
                              + " s at the first batch's rate";
            if (lineOpen_)
                out_ << '\r' << std::string(shownWidth_, ' ') << '\r';
            out_ << line << '\n';
            lineOpen_ = false;
            shownWidth_ = 0;
        }
    }
    if (!overwrite_) {
        // Plain lines: the first report, the first batch's, the last, and one per kPlainLineEverySeconds between.
        const bool due = lastPlainAt_ < 0.0 || progress.elapsedSeconds - lastPlainAt_ >= kPlainLineEverySeconds;
        if (!due && !last && !firstBatch)
            return;
        lastPlainAt_ = progress.elapsedSeconds;
    }
    printLine(formatEvalProgress(progress), last);
}

} // namespace lwb
