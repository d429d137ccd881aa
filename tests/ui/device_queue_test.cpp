// The per-device job queue through the real window: a long CPU run trains; a
// run on cuda:0 started meanwhile starts at once beside it (this machine has
// no GPU, so it fails at start with the engine's CUDA message — which is how
// the test sees that it was started, not queued) while the CPU run trains on;
// the live views show the newest job and none of the other job's steps; the
// Jobs dock switches them back to the CPU run, rebuilt from its steps so far,
// and a job starting by itself from the queue leaves that chosen job in view;
// a second CPU run queues until the first ends, then starts and finishes.
//
// Nothing here touches the user's files: LWB_DB, the XDG folders, QSettings
// and every run's output folder point into one temporary directory.
#include "run_outcome_text.h"
#include "ui/downsampled_series.h"
#include "ui/job_controller.h"
#include "ui/job_queue_view.h"
#include "ui/job_status_bar.h"
#include "ui/live_dashboard.h"
#include "ui/loss_plot.h"
#include "ui/main_window.h"
#include "ui/run_form.h"
#include "user_data_isolation.h"

#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using lwb::ui::JobController;
using lwb::ui::JobQueueView;
using lwb::ui::MainWindow;

namespace {

constexpr int kJobTimeoutMs = 60000;
constexpr int kLongRunSteps = 100000; // never reached: the test cancels it

// A small, fast run (one torch thread, so the GUI thread keeps a core).
nlohmann::json runDocument(const std::string &name, const std::string &device, int steps, const QString &outputDir)
{
    auto document = lwb::ui::RunForm::defaultDocument();
    document["name"] = name;
    document["device"] = device;
    document["threads"] = 1;
    document["training"]["steps"] = steps;
    document["training"]["warmup_steps"] = 2;
    document["training"]["batch_size"] = 8;
    document["training"]["output_dir"] = outputDir.toStdString();
    document["eval"]["every"] = std::min(steps, 500);
    document["data"]["eval_examples"] = 16;
    return document;
}

} // namespace

class DeviceQueueTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        qputenv("LWB_DB", dir_.filePath(QStringLiteral("runs.db")).toUtf8());
        lwb::ui::test::keepUserDataIn(dir_);
        QCoreApplication::setApplicationName(QStringLiteral("ui-device-queue-test"));
        QSettings().clear();
    }

    void oneJobPerDevice()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *jobs = window.jobController();
        auto *queue = window.jobQueue();
        auto *dashboard = window.liveDashboard();
        auto *form = window.runForm();
        QSignalSpy started(jobs, &JobController::jobStarted);
        QSignalSpy finished(jobs, &JobController::jobFinished);
        QStringList events; // starts and ends in the order they happen
        connect(jobs, &JobController::jobStarted, this,
                [&events](qint64 jobId) { events << QStringLiteral("start %1").arg(jobId); });
        connect(jobs, &JobController::jobFinished, this,
                [&events](qint64 jobId) { events << QStringLiteral("end %1").arg(jobId); });

        // A long CPU run.
        form->setDocument(
            runDocument("queue-cpu-long", "cpu", kLongRunSteps, dir_.filePath(QStringLiteral("out-long"))));
        QVERIFY2(window.startButton()->isEnabled(), qPrintable(form->problems().join(QLatin1Char('\n'))));
        QCOMPARE(window.startButton()->text(), QStringLiteral("Start"));
        QTest::mouseClick(window.startButton(), Qt::LeftButton);
        QCOMPARE(started.count(), 1);
        const qint64 cpuJob = started.at(0).at(0).toLongLong();
        qint64 cpuSteps = 0; // every step the CPU job reported
        connect(jobs, &JobController::stepsReady, this, [&](qint64 jobId, const lwb::ui::StepBatch &steps) {
            if (jobId == cpuJob)
                cpuSteps += steps.size();
        });
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->trainSeries().sampleCount() >= 2, kJobTimeoutMs);

        // A run on cuda:0: its device is free, so it starts at once beside the CPU run.
        form->setDocument(runDocument("queue-gpu", "cuda:0", 6, dir_.filePath(QStringLiteral("out-gpu"))));
        QVERIFY2(window.startButton()->isEnabled(), qPrintable(form->problems().join(QLatin1Char('\n'))));
        QCOMPARE(window.startButton()->text(), QStringLiteral("Start"));
        QTest::mouseClick(window.startButton(), Qt::LeftButton);
        QCOMPARE(started.count(), 2);
        const qint64 gpuJob = started.at(1).at(0).toLongLong();
        QVERIFY(jobs->queuedJobs().isEmpty());
        QCOMPARE(jobs->runningJobIds(), (QList<qint64>{cpuJob, gpuJob}));
        QCOMPARE(queue->statusOf(cpuJob), QStringLiteral("running"));
        QCOMPARE(queue->statusOf(gpuJob), QStringLiteral("running"));
        QCOMPARE(queue->table()->item(queue->rowOf(cpuJob), JobQueueView::DeviceColumn)->text(), QStringLiteral("cpu"));
        QCOMPARE(queue->table()->item(queue->rowOf(gpuJob), JobQueueView::DeviceColumn)->text(),
                 QStringLiteral("cuda:0"));
        QCOMPARE(dashboard->shownJobId(), gpuJob); // the newest job is shown
        QCOMPARE(queue->shownJobId(), gpuJob);

        // No GPU here: it fails at start with the engine's message; the CPU run trains on.
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kJobTimeoutMs);
        QCOMPARE(finished.at(0).at(0).toLongLong(), gpuJob);
        QCOMPARE(lwb::ui::test::outcomeAt(finished, 0), lwb::ui::test::outcomeName(lwb::RunOutcome::Failed));
        const QString message = finished.at(0).at(2).toString();
        QVERIFY2(message.contains(QStringLiteral("CUDA is not available")), qPrintable(message));
        QCOMPARE(queue->statusOf(gpuJob), QStringLiteral("failed"));
        QCOMPARE(jobs->state(cpuJob), JobController::State::Running);
        QCOMPARE(queue->statusOf(cpuJob), QStringLiteral("running"));
        if (auto *box = window.findChild<QMessageBox *>(QStringLiteral("runFailedBox")))
            box->close();

        // The views show the failed GPU job: the CPU run's steps do not reach them.
        const qint64 stepsBefore = cpuSteps;
        QTRY_VERIFY_WITH_TIMEOUT(cpuSteps >= stepsBefore + 3, kJobTimeoutMs);
        QCOMPARE(window.lossPlot()->trainSeries().sampleCount(), std::int64_t{0});
        QVERIFY(!window.cancelButton()->isEnabled()); // Cancel acts on the shown job, which has ended
        auto *others = window.jobStatusBar()->otherJobsLabel();
        QVERIFY(!others->isHidden());
        QVERIFY2(others->text().contains(QStringLiteral("1 other")), qPrintable(others->text()));

        // Choosing the CPU run in the Jobs dock shows it again: every step so far, then the new ones.
        queue->table()->selectRow(queue->rowOf(cpuJob));
        QCOMPARE(dashboard->shownJobId(), cpuJob);
        QCOMPARE(window.lossPlot()->trainSeries().sampleCount(), cpuSteps);
        QVERIFY(window.cancelButton()->isEnabled());
        const qint64 shownSteps = cpuSteps;
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->trainSeries().sampleCount() > shownSteps, kJobTimeoutMs);
        QCOMPARE(window.lossPlot()->trainSeries().sampleCount(), cpuSteps);
        QVERIFY(others->isHidden());

        // A job that starts by itself from the queue leaves a chosen running job in view:
        // another cuda:0 run is started (and shown), the CPU run chosen again, a third
        // cuda:0 run queued behind the second; when the second fails, the third starts
        // (and fails too), and the views stay on the CPU run.
        form->setDocument(runDocument("queue-gpu-2", "cuda:0", 6, dir_.filePath(QStringLiteral("out-gpu-2"))));
        QTest::mouseClick(window.startButton(), Qt::LeftButton);
        const qint64 gpuJob2 = started.at(2).at(0).toLongLong();
        QCOMPARE(dashboard->shownJobId(), gpuJob2); // the job one starts is shown
        queue->table()->selectRow(queue->rowOf(cpuJob));
        QCOMPARE(dashboard->shownJobId(), cpuJob);
        form->setDocument(runDocument("queue-gpu-3", "cuda:0", 6, dir_.filePath(QStringLiteral("out-gpu-3"))));
        QCOMPARE(window.startButton()->text(), QStringLiteral("Queue")); // the second still holds cuda:0
        QTest::mouseClick(window.startButton(), Qt::LeftButton);
        QCOMPARE(jobs->queuedJobs().size(), 1);
        const qint64 gpuJob3 = jobs->queuedJobs().at(0).id;
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, kJobTimeoutMs);
        QCOMPARE(finished.at(1).at(0).toLongLong(), gpuJob2);
        QCOMPARE(finished.at(2).at(0).toLongLong(), gpuJob3);
        QCOMPARE(started.at(3).at(0).toLongLong(), gpuJob3);
        QCOMPARE(dashboard->shownJobId(), cpuJob);
        QCOMPARE(window.lossPlot()->trainSeries().sampleCount(), cpuSteps);
        for (auto *box : window.findChildren<QMessageBox *>(QStringLiteral("runFailedBox")))
            box->close();

        // A second CPU run waits in the queue while the first trains.
        form->setDocument(runDocument("queue-cpu-short", "cpu", 6, dir_.filePath(QStringLiteral("out-short"))));
        QCOMPARE(window.startButton()->text(), QStringLiteral("Queue"));
        QTest::mouseClick(window.startButton(), Qt::LeftButton);
        QCOMPARE(started.count(), 4);
        QCOMPARE(jobs->queuedJobs().size(), 1);
        const qint64 secondCpuJob = jobs->queuedJobs().at(0).id;
        QCOMPARE(queue->statusOf(secondCpuJob), QStringLiteral("queued"));
        const qint64 waitedFrom = cpuSteps;
        QTRY_VERIFY_WITH_TIMEOUT(cpuSteps >= waitedFrom + 3, kJobTimeoutMs); // the first trains on...
        QCOMPARE(queue->statusOf(secondCpuJob), QStringLiteral("queued"));   // ...and the second still waits
        QCOMPARE(started.count(), 4);

        // Cancelling the first (the shown job) starts the second, which finishes.
        QTest::mouseClick(window.cancelButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 5, kJobTimeoutMs);
        QCOMPARE(finished.at(3).at(0).toLongLong(), cpuJob);
        QCOMPARE(lwb::ui::test::outcomeAt(finished, 3), lwb::ui::test::outcomeName(lwb::RunOutcome::Cancelled));
        QCOMPARE(finished.at(4).at(0).toLongLong(), secondCpuJob);
        QCOMPARE(lwb::ui::test::outcomeAt(finished, 4), lwb::ui::test::outcomeName(lwb::RunOutcome::Finished));
        const auto start = [](qint64 jobId) { return QStringLiteral("start %1").arg(jobId); };
        const auto end = [](qint64 jobId) { return QStringLiteral("end %1").arg(jobId); };
        QCOMPARE(events,
                 (QStringList{start(cpuJob), start(gpuJob), end(gpuJob), start(gpuJob2), end(gpuJob2), start(gpuJob3),
                              end(gpuJob3), end(cpuJob), start(secondCpuJob), end(secondCpuJob)}));
        QCOMPARE(dashboard->shownJobId(), secondCpuJob);
        QCOMPARE(window.lossPlot()->trainSeries().sampleCount(), std::int64_t{6});
        QCOMPARE(jobs->state(), JobController::State::Idle);
        QVERIFY(jobs->queuedJobs().isEmpty());
    }

private:
    QTemporaryDir dir_;
};

QTEST_MAIN(DeviceQueueTest)
#include "device_queue_test.moc"
