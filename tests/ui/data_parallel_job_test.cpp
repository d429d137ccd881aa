// A data-parallel job from the window (issue 20 part 5): the run form's
// Processes field set to 2, Start; rank 0 trains in the window's job thread,
// rank 1 is a real `lorawb train` child (the build's lorawb, named by
// LWB_LORAWB_PATH); the ranks meet over Gloo on 127.0.0.1.
//
// - a 2-rank job finishes, is recorded once (as finished) in the run store,
//   and the dashboard shows both ranks' throughput and "2 ranks (gloo)";
// - Cancel stops both ranks: the job ends cancelled and the child has exited;
// - a child that dies (SIGKILL) makes rank 0 fail with the engine's message
//   naming rank 1, and the job log shows that message;
// - the form refuses a global batch smaller than the process count and a
//   DLP-LoRA study of several processes.
//
// It waits on signals (QSignalSpy::wait, QTRY_*), never sleeps and asserts no
// wall time. LWB_DB, the XDG folders, QSettings and the output folders point
// into one temporary directory.
#include "form_input.h"
#include "run_outcome_text.h"
#include "storage/run_store.h"
#include "ui/job_controller.h"
#include "ui/job_log.h"
#include "ui/loss_plot.h"
#include "ui/main_window.h"
#include "ui/rank_throughput_view.h"
#include "ui/run_form.h"
#include "user_data_isolation.h"

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <cerrno>
#include <signal.h>

using lwb::ui::JobController;
using lwb::ui::MainWindow;
using lwb::ui::test::editorIn;
using lwb::ui::test::outcomeAt;
using lwb::ui::test::outcomeName;
using lwb::ui::test::typeInto;

namespace {

constexpr int kJobTimeoutMs = 240000; // a generous bound for a loaded 2-core machine, not a timing check
constexpr int kLongRunSteps = 100000; // never reached: the test stops it

// A small, fast run: the gpt2-tiny preset (random, frozen), one torch thread per rank.
nlohmann::json runDocument(const std::string &name, int steps, const QString &outputDir)
{
    auto document = lwb::ui::RunForm::defaultDocument();
    document["name"] = name;
    document["threads"] = 1;
    document["model"] = {{"preset", "gpt2-tiny"}};
    document["adapter"]["targets"] = {"c_attn"};
    document["data"]["seq_len"] = 32;
    document["data"]["eval_examples"] = 8;
    document["training"]["steps"] = steps;
    document["training"]["warmup_steps"] = 1;
    document["training"]["batch_size"] = 4;
    document["training"]["output_dir"] = outputDir.toStdString();
    document["eval"]["every"] = 0;
    // A rank that fails shows at once; a lost one within this (not the default 300 s).
    document["training"]["collective_timeout_s"] = 30;
    return document;
}

bool processGone(qint64 pid)
{
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

} // namespace

class DataParallelJobTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        qputenv("LWB_DB", dbPath().toUtf8());
        lwb::ui::test::keepUserDataIn(dir_);
        QCoreApplication::setApplicationName(QStringLiteral("ui-data-parallel-job-test"));
        QSettings().clear();
        QVERIFY2(QFileInfo(QStringLiteral(LWB_LORAWB_PATH)).isExecutable(), LWB_LORAWB_PATH);
    }

    void twoRanksFinishAndShowEachRank()
    {
        MainWindow window;
        startWindow(window);
        auto *jobs = window.jobController();
        QSignalSpy finished(jobs, &JobController::jobFinished);
        QSignalSpy joined(jobs, &JobController::ranksJoined);
        QSignalSpy childExited(jobs, &JobController::rankProcessExited);
        startTwoRanks(window, runDocument("dp-two-ranks", 6, dir_.filePath(QStringLiteral("out-finish"))));

        QVERIFY2(finished.wait(kJobTimeoutMs), qPrintable(window.jobLog()->toPlainText()));
        const QString message = finished.at(0).at(2).toString();
        QVERIFY2(outcomeAt(finished, 0) == outcomeName(lwb::RunOutcome::Finished),
                 qPrintable(message + QLatin1Char('\n') + window.jobLog()->toPlainText()));
        QCOMPARE(joined.count(), 1);
        QCOMPARE(joined.at(0).at(1).toInt(), 2);
        QCOMPARE(joined.at(0).at(2).toString(), QStringLiteral("gloo"));
        // The child ended by itself, before the job's last signal.
        QCOMPARE(childExited.count(), 1);
        QCOMPARE(childExited.at(0).at(1).toInt(), 1);
        QCOMPARE(childExited.at(0).at(2).toInt(), 0);

        // Recorded once (rank 0 only), as finished, with all its steps.
        lwb::storage::RunStore store(dbPath().toStdString());
        const auto runs = store.listRuns();
        QCOMPARE(runs.size(), std::size_t{1});
        QCOMPARE(runs.front().name, std::string("dp-two-ranks"));
        QCOMPARE(runs.front().status, lwb::storage::RunStatus::Finished);

        // The dashboard: both ranks' throughput and the backend.
        auto *ranks = window.rankThroughput();
        QVERIFY(ranks->isVisible());
        QCOMPARE(ranks->rates().size(), std::size_t{2});
        QVERIFY(ranks->rates()[0] > 0.0);
        QVERIFY(ranks->rates()[1] > 0.0);
        const QString line = ranks->text();
        QVERIFY2(line.contains(QStringLiteral("2 ranks (gloo) on cpu")), qPrintable(line));
        QVERIFY2(line.contains(QStringLiteral("rank 0: ")) && line.contains(QStringLiteral("rank 1: ")),
                 qPrintable(line));
        QCOMPARE(window.lossPlot()->trainSeries().sampleCount(), std::int64_t{6});
        const QString log = window.jobLog()->toPlainText();
        QVERIFY2(log.contains(QStringLiteral("rank 1 started")), qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("2 ranks have met (gloo)")), qPrintable(log));
    }

    void cancelStopsBothRanks()
    {
        MainWindow window;
        startWindow(window);
        auto *jobs = window.jobController();
        QSignalSpy finished(jobs, &JobController::jobFinished);
        QSignalSpy childStarted(jobs, &JobController::rankProcessStarted);
        QSignalSpy childExited(jobs, &JobController::rankProcessExited);
        startTwoRanks(window, runDocument("dp-cancel", kLongRunSteps, dir_.filePath(QStringLiteral("out-cancel"))));
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->trainSeries().sampleCount() >= 2, kJobTimeoutMs);
        QCOMPARE(childStarted.count(), 1);
        const qint64 childPid = childStarted.at(0).at(2).toLongLong();
        QVERIFY(!processGone(childPid));
        QVERIFY(!window.rankThroughput()->rates().empty());

        // The Jobs dock names the job's ranks and offers no pause for it.
        auto *jobTable = window.findChild<QTableWidget *>(QStringLiteral("jobTable"));
        QVERIFY(jobTable);
        QVERIFY(!jobTable->findItems(QStringLiteral("cpu \u00d72"), Qt::MatchExactly).isEmpty());
        auto *dockPause = window.findChild<QPushButton *>(QStringLiteral("pauseJobButton"));
        QVERIFY(dockPause);
        QVERIFY(!dockPause->isEnabled());

        QVERIFY(window.cancelButton()->isEnabled());
        QTest::mouseClick(window.cancelButton(), Qt::LeftButton);
        QVERIFY(finished.count() == 1 || finished.wait(kJobTimeoutMs));
        QCOMPARE(outcomeAt(finished, 0), outcomeName(lwb::RunOutcome::Cancelled));
        // The child stopped at the same step boundary (a cancelled lorawb train exits with 130).
        QCOMPARE(childExited.count(), 1);
        QCOMPARE(childExited.at(0).at(2).toInt(), 130);
        QVERIFY(processGone(childPid));
    }

    void failingChildFailsTheJob()
    {
        MainWindow window;
        startWindow(window);
        auto *jobs = window.jobController();
        QSignalSpy finished(jobs, &JobController::jobFinished);
        QSignalSpy childStarted(jobs, &JobController::rankProcessStarted);
        startTwoRanks(window, runDocument("dp-child-dies", kLongRunSteps, dir_.filePath(QStringLiteral("out-dies"))));
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->trainSeries().sampleCount() >= 2, kJobTimeoutMs);
        QCOMPARE(childStarted.count(), 1);
        QCOMPARE(::kill(static_cast<pid_t>(childStarted.at(0).at(2).toLongLong()), SIGKILL), 0);

        QVERIFY(finished.count() == 1 || finished.wait(kJobTimeoutMs));
        QCOMPARE(outcomeAt(finished, 0), outcomeName(lwb::RunOutcome::Failed));
        // The engine's collective-failure message names the rank that is gone.
        const QString message = finished.at(0).at(2).toString();
        QVERIFY2(message.contains(QStringLiteral("rank")) && message.contains(QLatin1Char('1')), qPrintable(message));
        const QString log = window.jobLog()->toPlainText();
        QVERIFY2(log.contains(message.left(60)), qPrintable(log));
        if (auto *box = window.findChild<QMessageBox *>(QStringLiteral("runFailedBox")))
            box->close();
    }

    // Cancel while rank 0 waits for a rank that never joins: the wait ends
    // at once (a collective timeout of 600 s would outlast the test's bound).
    void cancelWhileRanksMeet()
    {
        MainWindow window;
        startWindow(window);
        auto *jobs = window.jobController();
        const QString silent = dir_.filePath(QStringLiteral("silent-rank.sh"));
        writeScript(silent, "exec sleep 3600\n");
        jobs->setRankExecutable(silent);
        QSignalSpy finished(jobs, &JobController::jobFinished);
        QSignalSpy childStarted(jobs, &JobController::rankProcessStarted);
        auto document = runDocument("dp-meet-cancel", 6, dir_.filePath(QStringLiteral("out-meet-cancel")));
        document["training"]["collective_timeout_s"] = 600;
        startTwoRanks(window, document);
        QVERIFY(childStarted.count() == 1 || childStarted.wait(kJobTimeoutMs));
        QTest::mouseClick(window.cancelButton(), Qt::LeftButton);
        QVERIFY(finished.count() == 1 || finished.wait(kJobTimeoutMs));
        QCOMPARE(outcomeAt(finished, 0), outcomeName(lwb::RunOutcome::Cancelled));
    }

    // A rank process that exits before it joins fails the job with its exit,
    // not with "did not join" after the collective timeout.
    void childDeadBeforeMeetingFailsAtOnce()
    {
        MainWindow window;
        startWindow(window);
        auto *jobs = window.jobController();
        const QString broken = dir_.filePath(QStringLiteral("broken-rank.sh"));
        writeScript(broken, "echo 'cannot start' >&2; exit 3\n");
        jobs->setRankExecutable(broken);
        QSignalSpy finished(jobs, &JobController::jobFinished);
        auto document = runDocument("dp-meet-dead", 6, dir_.filePath(QStringLiteral("out-meet-dead")));
        document["training"]["collective_timeout_s"] = 600;
        startTwoRanks(window, document);
        QVERIFY(finished.count() == 1 || finished.wait(kJobTimeoutMs));
        QCOMPARE(outcomeAt(finished, 0), outcomeName(lwb::RunOutcome::Failed));
        const QString message = finished.at(0).at(2).toString();
        QVERIFY2(message.contains(QStringLiteral("rank 1")), qPrintable(message));
        if (auto *box = window.findChild<QMessageBox *>(QStringLiteral("runFailedBox")))
            box->close();
    }

    void formRefusesImpossibleProcessCounts()
    {
        lwb::ui::RunForm form;
        auto document = runDocument("dp-form", 6, dir_.filePath(QStringLiteral("out-form")));
        document["training"]["batch_size"] = 1;
        form.setDocument(document);
        QVERIFY(form.isValid()); // one process
        auto *processes = editorIn<QSpinBox>(&form, "processes");
        QVERIFY(!processes->toolTip().isEmpty());
        QCOMPARE(processes->maximum(), std::max(1, QThread::idealThreadCount()));
        if (processes->maximum() < 2)
            QSKIP("this machine has one hardware thread: Processes stays 1");
        typeInto(processes, 2);
        QCOMPARE(form.processes(), 2);
        QVERIFY(!form.isValid());
        QVERIFY2(form.problems().join(QLatin1Char('\n')).contains(QStringLiteral("processes: training.batch_size (1)")),
                 qPrintable(form.problems().join(QLatin1Char('\n'))));
        typeInto(editorIn<QSpinBox>(&form, "training.batch_size"), 4);
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        QVERIFY(!form.document().contains("processes")); // a job parameter, not a config key

        editorIn<QComboBox>(&form, "adapter.variant")->setCurrentText(QStringLiteral("dlp"));
        QVERIFY2(form.problems().join(QLatin1Char('\n')).contains(QStringLiteral("processes: a DLP-LoRA study")),
                 qPrintable(form.problems().join(QLatin1Char('\n'))));
    }

private:
    QString dbPath() const { return dir_.filePath(QStringLiteral("runs.db")); }

    static void writeScript(const QString &path, const char *body)
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("#!/bin/sh\n");
        file.write(body);
        file.close();
        QVERIFY(file.setPermissions(file.permissions() | QFileDevice::ExeOwner));
    }

    static void startWindow(MainWindow &window)
    {
        window.jobController()->setRankExecutable(QStringLiteral(LWB_LORAWB_PATH));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
    }

    static void startTwoRanks(MainWindow &window, const nlohmann::json &document)
    {
        auto *form = window.runForm();
        form->setDocument(document);
        typeInto(editorIn<QSpinBox>(form, "processes"), 2);
        QCOMPARE(form->processes(), 2);
        QVERIFY2(window.startButton()->isEnabled(), qPrintable(form->problems().join(QLatin1Char('\n'))));
        QTest::mouseClick(window.startButton(), Qt::LeftButton);
        QCOMPARE(window.jobController()->ranks(window.jobController()->runningJobIds().value(0)), 2);
    }

    QTemporaryDir dir_;
};

QTEST_MAIN(DataParallelJobTest)
#include "data_parallel_job_test.moc"
