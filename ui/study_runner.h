// StudyRunner: a study (engine/config/study_spec.h) trained through the
// window's normal job queue. run() opens the study in the store (the same
// spec text is the same study), asks storage's resume rule which (cell, seed)
// pairs have no finished run yet (unfinishedStudyRuns, shared with `lorawb
// study`) and enqueues one JobController job per pair, skipping pairs whose
// job is still queued or running here. When a job's recorder has created its
// run (JobController::runStarted), the run is linked to the study's cell and
// seed and tagged "study:NAME" (attachStudyRun). Store work runs on the
// store's thread (StoreWorker); the GUI thread only enqueues.
#pragma once

#include "engine/config/study_spec.h"
#include "storage/study_store.h"

#include <QObject>
#include <QString>

#include <map>
#include <set>
#include <tuple>

namespace lwb::ui {

class JobController;
class StoreWorker;

class StudyRunner : public QObject
{
    Q_OBJECT

public:
    StudyRunner(JobController *jobs, StoreWorker *store, QObject *parent = nullptr);

    // Enqueues the study's unfinished runs; studyQueued (or failed) follows.
    void run(const lwb::StudySpec &spec);
    // Jobs of a study enqueued here that have not ended yet.
    int activeJobs() const { return int(jobs_.size()); }

Q_SIGNALS:
    // The study's id, the jobs enqueued now, and the pairs skipped because
    // they have finished runs already or their jobs are still on their way.
    void studyQueued(qint64 studyId, int enqueued, int finished, int inFlight);
    void failed(const QString &message);
    // A run of the study was linked (its id), or one of its jobs ended.
    void studyChanged(qint64 studyId);

private:
    struct StudyJob
    {
        lwb::storage::StudyRecord study;
        lwb::storage::StudyRunPlan plan;
    };
    using PairKey = std::tuple<std::int64_t, std::size_t, std::uint64_t>; // study, cell, seed

    void enqueue(const lwb::storage::StudyRecord &study, const std::vector<lwb::storage::StudyRunPlan> &unfinished,
                 int planned);
    void attach(qint64 jobId, qint64 runId);

    JobController *controller_;
    StoreWorker *store_;
    std::map<qint64, StudyJob> jobs_; // by job id
    std::set<PairKey> inFlight_;
};

} // namespace lwb::ui
