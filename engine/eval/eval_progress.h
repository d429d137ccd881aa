// EvalProgress: where a long evaluation stands, for a progress line in the
// CLI and a progress bar in the GUI. The evaluator reports once before the
// first batch (done 0, no estimate yet) and after every batch; the estimate
// of the time left is the mean time per item so far times the items left
// (batches are of equal size except the last, so the mean settles after the
// first one). The callback runs on the evaluating thread: a GUI relays it
// through a queued signal, as it does StepMetrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace lwb {

struct EvalProgress
{
    std::string phase;      // "loss" | "exact match"
    std::int64_t done = 0;  // examples finished
    std::int64_t total = 0; // examples this phase will run
    double elapsedSeconds = 0.0;
    double remainingSeconds = -1.0; // < 0: no estimate yet (nothing finished)
};

using EvalProgressCallback = std::function<void(const EvalProgress &)>;

// "eval exact match  128/512 examples  12.1 s  ETA 36 s" (no ETA before the
// first batch is done).
std::string formatEvalProgress(const EvalProgress &progress);

// Times one phase and reports it.
class EvalProgressClock
{
public:
    EvalProgressClock(std::string phase, std::int64_t total, EvalProgressCallback callback);

    // done examples finished so far.
    void report(std::int64_t done) const;

private:
    std::string phase_;
    std::int64_t total_;
    EvalProgressCallback callback_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace lwb
