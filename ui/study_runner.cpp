// See study_runner.h.
#include "ui/study_runner.h"

#include "engine/config/run_config.h"
#include "storage/run_store.h"
#include "ui/job_controller.h"
#include "ui/store_worker.h"

namespace lwb::ui {

StudyRunner::StudyRunner(JobController *jobs, StoreWorker *store, QObject *parent)
    : QObject(parent)
    , controller_(jobs)
    , store_(store)
{
    connect(controller_, &JobController::runStarted, this,
            [this](qint64 jobId, const lwb::RunInfo &, qint64 runId) { attach(jobId, runId); });
    connect(controller_, &JobController::jobFinished, this, [this](qint64 jobId, lwb::RunOutcome, const QString &) {
        const auto job = jobs_.find(jobId);
        if (job == jobs_.end())
            return;
        const auto studyId = job->second.study.id;
        inFlight_.erase({studyId, job->second.plan.cellIndex, job->second.plan.seed});
        jobs_.erase(job);
        Q_EMIT studyChanged(studyId);
    });
}

void StudyRunner::run(const lwb::StudySpec &spec)
{
    if (store_ == nullptr || store_->path().isEmpty()) {
        Q_EMIT failed(tr("The run store is not open, so a study cannot be recorded (see File > Settings)."));
        return;
    }
    // The same mapping `lorawb study` makes: each (cell, seed) with its cell's settings text.
    std::vector<lwb::storage::StudyRunPlan> plans;
    for (const auto &run : spec.runs())
        plans.push_back({run.cellIndex, run.seed, spec.cells[run.cellIndex].settingsKey(), run.config.dump()});
    using Opened = std::pair<lwb::storage::StudyRecord, std::vector<lwb::storage::StudyRunPlan>>;
    store_->run<Opened>(
        this,
        [name = spec.name, specJson = spec.document.dump(), metric = spec.metric, plans](lwb::storage::RunStore &store,
                                                                                         const StoreTaskControl &) {
            auto study = lwb::storage::openStudy(store, name, specJson, metric);
            auto unfinished = lwb::storage::unfinishedStudyRuns(store, study.id, plans);
            return Opened{std::move(study), std::move(unfinished)};
        },
        [this, planned = int(plans.size())](StoreOutcome<Opened> outcome) {
            if (!outcome.value) {
                Q_EMIT failed(tr("Cannot open the study in the run store: %1").arg(outcome.error));
                return;
            }
            enqueue(outcome.value->first, outcome.value->second, planned);
        });
}

void StudyRunner::enqueue(const lwb::storage::StudyRecord &study,
                          const std::vector<lwb::storage::StudyRunPlan> &unfinished, int planned)
{
    int enqueued = 0;
    int inFlight = 0;
    for (const auto &plan : unfinished) {
        if (!inFlight_.insert({study.id, plan.cellIndex, plan.seed}).second) {
            ++inFlight; // its job is queued or running already
            continue;
        }
        // Validated when the spec was expanded; parsed again into the value the queue takes.
        const auto config = lwb::parseRunConfig(nlohmann::json::parse(plan.configJson), study.name);
        const qint64 jobId = controller_->enqueue(config);
        jobs_[jobId] = {study, plan};
        ++enqueued;
    }
    Q_EMIT studyQueued(study.id, enqueued, planned - int(unfinished.size()), inFlight);
    Q_EMIT studyChanged(study.id);
}

void StudyRunner::attach(qint64 jobId, qint64 runId)
{
    const auto job = jobs_.find(jobId);
    if (job == jobs_.end() || runId <= 0)
        return; // not a study's job, or a run the store did not record
    store_->run<bool>(
        this,
        [study = job->second.study, plan = job->second.plan, runId](lwb::storage::RunStore &store,
                                                                    const StoreTaskControl &) {
            lwb::storage::attachStudyRun(store, study, runId, plan);
            return true;
        },
        [this, studyId = job->second.study.id](StoreOutcome<bool> outcome) {
            if (!outcome.value)
                Q_EMIT failed(tr("Cannot link a run to its study: %1").arg(outcome.error));
            Q_EMIT studyChanged(studyId);
        });
}

} // namespace lwb::ui
