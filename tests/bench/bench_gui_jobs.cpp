// bench_gui's figures of a real job in the main window: the event-loop stall
// while the default LoRA config trains (issue 8: gaps between 5 ms ticks on the
// GUI thread, median, 99th percentile, longest; bound 50 ms), and the cancel
// latency (issue 23's goal: under one step and under 1 s on the built-in
// model), mid-training and when only a long final evaluation is left (the job
// held at the pause gate after its last step, then cancelled), both to the
// job's end signal.
#include "bench_gui_harness.h"
#include "bench_gui_scenarios.h"

#include "ui/job_controller.h"
#include "ui/main_window.h"
#include "ui/run_form.h"

#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace lwb::bench_gui {

void benchStall(int seconds, int threads)
{
    QTemporaryDir dir;
    qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toUtf8());
    lwb::ui::MainWindow window(dir.filePath(QStringLiteral("bench.db")));
    window.resize(1360, 860);
    window.show();
    auto document = lwb::ui::RunForm::defaultDocument();
    document["name"] = "bench-gui";
    document["threads"] = threads;
    document["training"]["steps"] = 100000; // never reached: the bench stops it
    document["training"]["output_dir"] = dir.filePath(QStringLiteral("out")).toStdString();
    window.runForm()->setDocument(document);
    window.startJob();
    // Measure only once steps flow (the first steps build the model).
    qint64 stepsSeen = 0;
    QObject::connect(window.jobController(), &lwb::ui::JobController::stepsReady, &window,
                     [&stepsSeen](qint64, const lwb::ui::StepBatch &steps) { stepsSeen += steps.size(); });
    while (stepsSeen == 0)
        QTest::qWait(20);

    std::vector<double> gaps;
    QElapsedTimer clock;
    clock.start();
    qint64 last = 0;
    double lastCpuMs = threadCpuMs();
    double longestGapCpuMs = 0.0; // how long the GUI thread ran during the longest gap
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        const double cpu = threadCpuMs();
        const double gap = double(now - last) / 1e6;
        if (gaps.empty() || gap > *std::max_element(gaps.begin(), gaps.end()))
            longestGapCpuMs = cpu - lastCpuMs;
        gaps.push_back(gap);
        last = now;
        lastCpuMs = cpu;
    });
    const qint64 stepsBefore = stepsSeen;
    slowEvents().start();
    ticker.start(5);
    QTest::qWait(seconds * 1000);
    ticker.stop();
    slowEvents().stop();
    const qint64 steps = stepsSeen - stepsBefore;
    window.jobController()->stopAndWait();
    std::printf("event loop while training (default LoRA run, %d torch thread(s), %d s, %lld steps = %.1f steps/s):\n",
                threads, seconds, static_cast<long long>(steps), double(steps) / seconds);
    std::printf(
        "  gaps between 5 ms ticks: median %.1f ms, p99 %.1f ms, longest %.1f ms (%zu ticks; bound 50 ms: %s)\n",
        median(gaps), percentile(gaps, 0.99), *std::max_element(gaps.begin(), gaps.end()), gaps.size(),
        *std::max_element(gaps.begin(), gaps.end()) <= 50.0 ? "met" : "NOT met");
    std::printf("    in the longest gap the GUI thread ran %.1f ms on a CPU (the rest it was runnable or idle, "
                "not working)\n",
                longestGapCpuMs);
    slowEvents().print();
}

void benchCancelLatency(const QTemporaryDir &dir, int threads)
{
    lwb::ui::MainWindow window(dir.filePath(QStringLiteral("cancel.db")));
    window.show();
    auto *jobs = window.jobController();
    auto document = lwb::ui::RunForm::defaultDocument();
    document["threads"] = threads;
    document["training"]["warmup_steps"] = 0;
    document["eval"]["every"] = 0;
    document["training"]["output_dir"] = dir.filePath(QStringLiteral("out-cancel")).toStdString();

    // Mid-training: cancel after 20 steps; the step time is the mean of those steps.
    document["name"] = "cancel-training";
    document["training"]["steps"] = 100000;
    window.runForm()->setDocument(document);
    qint64 steps = 0;
    double firstStepWall = -1.0;
    double lastStepWall = 0.0;
    auto stepConnection = QObject::connect(jobs, &lwb::ui::JobController::stepsReady, &window,
                                           [&](qint64, const lwb::ui::StepBatch &batch) {
                                               for (const auto &step : batch) {
                                                   if (firstStepWall < 0)
                                                       firstStepWall = step.wallSeconds;
                                                   lastStepWall = step.wallSeconds;
                                                   ++steps;
                                               }
                                           });
    bool finished = false;
    QObject::connect(jobs, &lwb::ui::JobController::jobFinished, &window, [&] { finished = true; });
    window.startJob();
    while (steps < 20)
        QTest::qWait(5);
    const double stepMs = 1000.0 * (lastStepWall - firstStepWall) / double(std::max<qint64>(1, steps - 1));
    QElapsedTimer clock;
    clock.start();
    window.cancelJob();
    while (!finished)
        QTest::qWait(1);
    const double trainingCancelMs = msSince(clock);
    QObject::disconnect(stepConnection);

    // Final evaluation: 4,000 greedy answers left when the stop arrives.
    document["name"] = "cancel-eval";
    document["training"]["steps"] = 1;
    document["data"]["eval_examples"] = 4000;
    window.runForm()->setDocument(document);
    finished = false;
    bool held = false;
    QObject::connect(jobs, &lwb::ui::JobController::jobHeld, &window, [&] { held = true; });
    window.startJob();
    jobs->pause(jobs->runningJobIds().value(0));
    while (!held)
        QTest::qWait(5);
    clock.start();
    window.cancelJob();
    while (!finished)
        QTest::qWait(1);
    const double evalCancelMs = msSince(clock);
    std::printf("cancel latency (default LoRA run, built-in model, %d torch thread(s)):\n", threads);
    std::printf("  mid-training: %.1f ms from Cancel to the job's end (a step takes %.1f ms; the checkpoint is "
                "written in between)\n",
                trainingCancelMs, stepMs);
    std::printf("  during the final evaluation (4,000 answers left): %.1f ms from Cancel to the job's end "
                "(goal: under one step and 1 s: %s)\n",
                evalCancelMs, evalCancelMs < 1000.0 && evalCancelMs < std::max(stepMs, 1000.0) ? "met" : "NOT met");
}

} // namespace lwb::bench_gui
