// JobStatusBar: the main window's status bar — what the shown job is doing,
// its progress (step / total), the time left, throughput and the latest loss,
// how many other jobs run meanwhile (on other devices), and (always visible
// at the right) which run store file the runs go to.
//
// The ETA is the mean time per step over the steps seen in this job times
// the steps left, and the throughput the mean since the first step seen, so
// neither the model build before step 1 nor one slow step distorts them.
#pragma once

#include "ui/engine_metatypes.h"

#include <QStatusBar>

class QLabel;
class QProgressBar;

namespace lwb::ui {

class JobStatusBar : public QStatusBar
{
    Q_OBJECT

public:
    explicit JobStatusBar(QWidget *parent = nullptr);

    // ok false: the store could not be opened; problem says why.
    void setDatabase(const QString &path, bool ok, const QString &problem = {});

    void jobStarted(const QString &name, std::int64_t totalSteps);
    void stopping();
    void updateSteps(const StepBatch &steps);
    // A job made of stages (a DLP-LoRA study): the stage and its own progress.
    void updateStage(const QString &stage, std::int64_t done, std::int64_t total);
    void jobFinished(lwb::RunOutcome outcome, const QString &message);
    // Jobs running besides the shown one; hidden when none.
    void setOtherJobsRunning(int count);

    QProgressBar *progressBar() const { return progress_; }
    QLabel *etaLabel() const { return eta_; }
    QLabel *otherJobsLabel() const { return others_; }

    // "0:42", "1:02:05"; "—" for a negative or non-finite number of seconds.
    static QString formatDuration(double seconds);

private:
    QLabel *state_;
    QProgressBar *progress_;
    QLabel *eta_;
    QLabel *others_;
    QLabel *database_;
    QString jobName_;
    std::int64_t firstStep_ = -1; // step of the first metrics of this job
    double firstWallSeconds_ = 0.0;
    std::int64_t firstTokens_ = 0;
};

} // namespace lwb::ui
