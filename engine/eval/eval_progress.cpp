// See eval_progress.h.
#include "engine/eval/eval_progress.h"

#include <cmath>
#include <cstdio>

namespace lwb {

namespace {

std::string seconds(double value)
{
    char text[32];
    if (value < 60.0)
        std::snprintf(text, sizeof text, "%.1f s", value);
    else if (value < 3600.0)
        std::snprintf(text, sizeof text, "%d min %02d s", static_cast<int>(value) / 60, static_cast<int>(value) % 60);
    else
        std::snprintf(text, sizeof text, "%d h %02d min", static_cast<int>(value) / 3600,
                      static_cast<int>(value) % 3600 / 60);
    return text;
}

} // namespace

std::string formatEvalProgress(const EvalProgress &progress)
{
    std::string line = "eval " + progress.phase + "  " + std::to_string(progress.done) + "/"
                       + std::to_string(progress.total) + " examples  " + seconds(progress.elapsedSeconds);
    if (progress.remainingSeconds >= 0.0)
        line += "  ETA " + seconds(progress.remainingSeconds);
    return line;
}

EvalProgressClock::EvalProgressClock(std::string phase, std::int64_t total, EvalProgressCallback callback)
    : phase_(std::move(phase))
    , total_(total)
    , callback_(std::move(callback))
    , start_(std::chrono::steady_clock::now())
{
}

void EvalProgressClock::report(std::int64_t done) const
{
    if (!callback_)
        return;
    EvalProgress progress{phase_, done, total_, 0.0, -1.0};
    progress.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (done > 0)
        progress.remainingSeconds = progress.elapsedSeconds / static_cast<double>(done)
                                    * static_cast<double>(std::max<std::int64_t>(0, total_ - done));
    callback_(progress);
}

} // namespace lwb
