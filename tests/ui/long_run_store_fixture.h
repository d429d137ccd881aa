// Long runs written straight into a run store, for the compare view's tests
// (compare_view_test.cpp, compare_curve_data_test.cpp): runs named long-0,
// long-1, ... of variant "lora" whose configs differ only in their learning
// rate, each with a train/loss and train/tokens sample at every step from 1 to
// `steps`. The samples go in through storage's own SampleWriter in one
// transaction a run, as the recorder writes them, so the compare reads see
// what a real training leaves behind without training anything.
#pragma once

#include <QString>
#include <QVector>

#include <cstdint>
#include <functional>

namespace lwb::ui::test {

struct LongRunsSpec
{
    int runs = 2;
    int steps = 20000;
    std::int64_t tokensPerStep = 512;              // train/tokens at step s: s * tokensPerStep
    double wallSecondsPerStep = 0.0;               // the step's wall clock: s * wallSecondsPerStep
    std::function<double(int run, int step)> loss; // train/loss of run `run` (0-based) at `step`
};

// Creates the store at storePath if it is not there and adds spec.runs runs to
// it; returns their ids in run order. A storage error throws (Qt Test reports
// an exception as the test's failure).
QVector<qint64> writeLongRuns(const QString &storePath, const LongRunsSpec &spec);

} // namespace lwb::ui::test
