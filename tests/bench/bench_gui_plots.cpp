// bench_gui's repaint figures (issue 8, issue 23): the loss plot with 100,000
// points per series (train loss with smoothing on, so the smoothed curve is
// drawn too, and the eval loss), median of 30 forced frames, beside a baseline
// measured in the same run: the same points handed to QCustomPlot without
// downsampling; and the noisy gradient-norm side plot of a long run.
#include "bench_gui_harness.h"
#include "bench_gui_scenarios.h"

#include "ui/loss_plot.h"
#include "ui/training_metrics_view.h"

#include <qcustomplot.h>

#include <QtTest>

#include <cmath>
#include <cstdio>

namespace lwb::bench_gui {
namespace {

constexpr int kPoints = 100000;

double loss(int step)
{
    return 3.0 / (1.0 + 0.001 * step) + 0.05 * std::sin(step * 0.37);
}

} // namespace

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
    std::printf("  appending %d train points: %.1f ms (%.2f us each)\n", kPoints, appendMs,
                appendMs * 1000.0 / kPoints);
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
    // The side plots of a long run: gradient norm and throughput are noisy
    // (every step differs), drawn in 1.4 px pens.
    lwb::ui::TrainingMetricsView side;
    side.resize(1100, 600);
    side.show();
    side.startRun(kPoints);
    for (int step = 1; step <= kPoints; ++step) {
        lwb::StepMetrics metrics;
        metrics.step = step;
        metrics.learningRate = 1e-3;
        metrics.gradNorm = 1.0 + 0.5 * std::sin(step * 0.37) + 0.2 * std::cos(step * 1.3);
        metrics.tokensPerSecond = 5000.0 + 800.0 * std::sin(step * 0.71);
        side.addStep(metrics);
    }
    QTest::qWait(200);
    auto *gradNorm = side.findChild<QCustomPlot *>(QStringLiteral("gradNormPlot"));
    std::printf("  side plot of the gradient norm, %d noisy steps (%d points drawn): %.2f ms per frame\n", kPoints,
                side.drawnPoints(lwb::ui::TrainingMetricsView::GradientNorm), timeFrames(gradNorm));
    gradNorm->setPlottingHint(QCP::phFastPolylines, false);
    std::printf("  the same drawn as one polyline (before issue 23's fix): %.2f ms per frame\n",
                timeFrames(gradNorm, 5));
}

} // namespace lwb::bench_gui
