// bench_gui: the two GUI figures of issue 8, on the offscreen platform.
//
// 1. Repaint time of the loss plot with 100,000 points per series (train loss
//    with smoothing on, so the smoothed curve is drawn too, and the eval
//    loss), median of 30 forced frames; baseline in the same run: the same
//    points handed to QCustomPlot without downsampling.
// 2. Event-loop stall while a real job trains: the main window runs the
//    default LoRA config for --seconds seconds while a 5 ms timer ticks on the
//    GUI thread; the gaps between ticks are how long the GUI thread was busy
//    (median, 99th percentile, longest). The bound is 50 ms.
//
//   QT_QPA_PLATFORM=offscreen build/tests/bench/bench_gui [--seconds 10] [--threads N]
#include "ui/job_controller.h"
#include "ui/loss_plot.h"
#include "ui/main_window.h"
#include "ui/run_form.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

constexpr int kPoints = 100000;
constexpr int kFrames = 30;

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double percentile(std::vector<double> values, double p)
{
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<std::size_t>(p * double(values.size())))];
}

double loss(int step)
{
    return 3.0 / (1.0 + 0.001 * step) + 0.05 * std::sin(step * 0.37);
}

double timeFrames(QCustomPlot *plot)
{
    std::vector<double> frames;
    for (int i = 0; i < kFrames; ++i) {
        QElapsedTimer clock;
        clock.start();
        plot->replot(QCustomPlot::rpImmediateRefresh);
        frames.push_back(double(clock.nsecsElapsed()) / 1e6);
    }
    return median(frames);
}

void benchRepaint()
{
    lwb::ui::LossPlot plot;
    plot.resize(1100, 600);
    plot.show();
    plot.startRun(kPoints);
    QElapsedTimer clock;
    clock.start();
    for (int step = 1; step <= kPoints; ++step)
        plot.addTrainLoss(step, loss(step));
    for (int step = 100; step <= kPoints; step += 100)
        plot.addEvalLoss(step, loss(step) + 0.1);
    const double appendMs = double(clock.nsecsElapsed()) / 1e6;
    plot.setSmoothing(0.9);
    QTest::qWait(200); // one refresh copies the series into the graphs
    std::printf("repaint, %d points per series (train + smoothed + %d eval points):\n", kPoints, kPoints / 100);
    std::printf("  appending %d train points: %.1f ms (%.2f us each)\n", kPoints, appendMs, appendMs * 1000.0 / kPoints);
    std::printf("  LossPlot as shipped (%d points drawn per train curve, %d eval points): %.2f ms per frame\n",
                plot.drawnTrainPoints(), plot.drawnEvalPoints(), timeFrames(plot.plot()));
    plot.setSmoothing(0.0);
    std::printf("  the same without the smoothed curve: %.2f ms per frame\n", timeFrames(plot.plot()));
    plot.plot()->graph(1)->setVisible(false);
    std::printf("  the same without the eval points: %.2f ms per frame\n", timeFrames(plot.plot()));

    QCustomPlot naive;
    naive.resize(1100, 600);
    naive.show();
    QVector<double> x(kPoints), y(kPoints);
    for (int i = 0; i < kPoints; ++i) {
        x[i] = i + 1;
        y[i] = loss(i + 1);
    }
    for (int graph = 0; graph < 2; ++graph) {
        naive.addGraph()->setData(x, y, true);
        naive.graph(graph)->setPen(QPen(Qt::blue, 1.0)); // as the shipped raw curve
        naive.graph(graph)->setAdaptiveSampling(false);
    }
    naive.rescaleAxes();
    std::printf("  baseline, all %d points in two 1-px graphs, no downsampling: %.2f ms per frame\n", kPoints,
                timeFrames(&naive));
}

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
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        gaps.push_back(double(now - last) / 1e6);
        last = now;
    });
    const qint64 stepsBefore = stepsSeen;
    ticker.start(5);
    QTest::qWait(seconds * 1000);
    ticker.stop();
    const qint64 steps = stepsSeen - stepsBefore;
    window.jobController()->stopAndWait();
    std::printf("event loop while training (default LoRA run, %d torch thread(s), %d s, %lld steps = %.1f steps/s):\n",
                threads, seconds, static_cast<long long>(steps), double(steps) / seconds);
    std::printf("  gaps between 5 ms ticks: median %.1f ms, p99 %.1f ms, longest %.1f ms (%zu ticks; bound 50 ms: %s)\n",
                median(gaps), percentile(gaps, 0.99), *std::max_element(gaps.begin(), gaps.end()), gaps.size(),
                *std::max_element(gaps.begin(), gaps.end()) <= 50.0 ? "met" : "NOT met");
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("lwb-bench"));
    QTemporaryDir settings;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings.path());
    int seconds = 10;
    int threads = 1;
    const QStringList args = QCoreApplication::arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--seconds"))
            seconds = std::max(1, args[i + 1].toInt());
        if (args[i] == QLatin1String("--threads"))
            threads = std::max(1, args[i + 1].toInt());
    }
    std::printf("bench_gui (Qt %s, platform %s)\n", qVersion(), qPrintable(QGuiApplication::platformName()));
    benchRepaint();
    benchStall(seconds, threads);
    return 0;
}
