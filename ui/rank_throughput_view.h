// RankThroughputView: one line above the live plots for a data-parallel job —
// how many ranks, on which backend and device ("2 ranks (gloo) on cpu"), and
// each rank's own throughput at the latest step ("rank 0: 1,063 tok/s").
// A rank well below the fastest (under 80 %) is marked "slowest": in a
// data-parallel step every rank waits for it, so it sets the job's pace.
// Hidden while the shown job trains as one process.
//
// The figures are StepMetrics::rankTokensPerSecond (the trainer gathers them
// from every rank each step); the line follows the newest step of a batch,
// so it changes at the dashboard's pace, not once per step.
#pragma once

#include "ui/engine_metatypes.h"

#include <QLabel>

#include <vector>

namespace lwb::ui {

class RankThroughputView : public QLabel
{
    Q_OBJECT

public:
    static constexpr double kSlowShare = 0.8; // below this share of the fastest rank: marked slowest

    explicit RankThroughputView(QWidget *parent = nullptr);

    // A job starts being shown: ranks 1 hides the line.
    void startJob(int ranks, const QString &device);
    // Its ranks have met over this backend ("gloo", "nccl").
    void setBackend(const QString &backend);
    void addSteps(const StepBatch &steps);

    // Each rank's tokens/s at the latest step shown; empty before one.
    const std::vector<double> &rates() const { return rates_; }

private:
    void refresh();

    int ranks_ = 1;
    QString device_;
    QString backend_;
    std::vector<double> rates_;
};

} // namespace lwb::ui
