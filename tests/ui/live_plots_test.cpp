// The live dashboard's plots driven through their controls: the smoothing
// slider draws TensorBoard's debiased EMA over the train loss (checked against
// hand-computed values) while the raw curve stays drawn; the log-scale toggle
// switches the loss axis; the side plots (learning rate, gradient norm,
// throughput, memory) receive every step and leave memory empty when the
// engine reports none; a plot's data exports as CSV with its points.
#include "ui/loss_plot.h"
#include "ui/plot_export.h"
#include "ui/plot_hover.h"
#include "ui/training_metrics_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QSlider>
#include <QTemporaryDir>
#include <QtTest>

using lwb::ui::LossPlot;
using lwb::ui::TrainingMetricsView;

class LivePlotsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void smoothingIsDebiasedEma();
    void logScaleToggleSwitchesTheAxis();
    void sidePlotsReceiveEveryStep();
    void plotDataExportsAsCsv();
    void hoverNamesTheNearestPoint();
};

void LivePlotsTest::smoothingIsDebiasedEma()
{
    LossPlot plot;
    plot.show();
    plot.startRun(10);
    for (double y : {1.0, 3.0, 2.0})
        plot.addTrainLoss(plot.trainSeries().sampleCount() + 1, y);
    QTRY_COMPARE(plot.drawnTrainPoints(), 3);
    QCOMPARE(plot.drawnSmoothedPoints(), 0); // off by default: raw only

    plot.smoothingSlider()->setValue(50); // as a person drags it to 0.50
    QCOMPARE(plot.smoothing(), 0.5);
    QCOMPARE(plot.drawnSmoothedPoints(), 3);
    QCOMPARE(plot.drawnTrainPoints(), 3); // the raw curve stays
    // m1 = 0.5, /(1-0.5) = 1; m2 = 0.25 + 1.5 = 1.75, /(1-0.25) = 7/3;
    // m3 = 0.875 + 1 = 1.875, /(1-0.125) = 15/7.
    QCOMPARE(plot.smoothedValueAt(0), 1.0);
    QCOMPARE(plot.smoothedValueAt(1), 7.0 / 3.0);
    QCOMPARE(plot.smoothedValueAt(2), 15.0 / 7.0);

    // New points are smoothed as they arrive.
    plot.addTrainLoss(4, 2.0);
    QTRY_COMPARE(plot.drawnSmoothedPoints(), 4);
    QCOMPARE(plot.smoothedValueAt(3), (0.5 * 1.875 + 1.0) / (1.0 - 0.0625));

    plot.smoothingSlider()->setValue(0);
    QCOMPARE(plot.drawnSmoothedPoints(), 0);
}

void LivePlotsTest::logScaleToggleSwitchesTheAxis()
{
    LossPlot plot;
    plot.show();
    plot.startRun(100);
    for (int step = 1; step <= 100; ++step)
        plot.addTrainLoss(step, 10.0 / step);
    QTRY_COMPARE(plot.drawnTrainPoints(), 100);
    QTest::mouseClick(plot.logScaleToggle(), Qt::LeftButton);
    QVERIFY(plot.logScale());
    QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(plot.plot()->yAxis->range().lower > 0.0);
    QVERIFY(plot.plot()->yAxis->range().lower <= 0.1);
    QVERIFY(plot.plot()->yAxis->range().upper >= 10.0);
    QTest::mouseClick(plot.logScaleToggle(), Qt::LeftButton);
    QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLinear);
}

void LivePlotsTest::sidePlotsReceiveEveryStep()
{
    TrainingMetricsView view;
    view.show();
    view.startRun(50);
    for (int step = 1; step <= 50; ++step) {
        lwb::StepMetrics metrics;
        metrics.step = step;
        metrics.learningRate = 1e-3 * step / 50.0;
        metrics.gradNorm = 2.0 / step;
        metrics.tokensPerSecond = 1000.0 + step;
        metrics.peakMemoryBytes = 0; // not reported
        view.addStep(metrics);
    }
    QTRY_COMPARE(view.drawnPoints(TrainingMetricsView::LearningRate), 50);
    QCOMPARE(view.drawnPoints(TrainingMetricsView::GradientNorm), 50);
    QCOMPARE(view.drawnPoints(TrainingMetricsView::TokensPerSecond), 50);
    QCOMPARE(view.drawnPoints(TrainingMetricsView::PeakMemory), 0);
    auto *lr = view.plot(TrainingMetricsView::LearningRate);
    QCOMPARE(lr->graph(0)->data()->at(49)->value, 1e-3);
    QVERIFY(lr->yAxis->range().contains(1e-3));

    lwb::StepMetrics withMemory;
    withMemory.step = 51;
    withMemory.peakMemoryBytes = 256LL * 1024 * 1024;
    view.addStep(withMemory);
    QTRY_COMPARE(view.drawnPoints(TrainingMetricsView::PeakMemory), 1);
    QCOMPARE(view.plot(TrainingMetricsView::PeakMemory)->graph(0)->data()->at(0)->value, 256.0);
}

void LivePlotsTest::plotDataExportsAsCsv()
{
    LossPlot plot;
    plot.show();
    plot.startRun(3);
    plot.addTrainLoss(1, 2.5);
    plot.addTrainLoss(2, 2.25);
    plot.addEvalLoss(2, 2.4);
    QTRY_COMPARE(plot.drawnEvalPoints(), 1);
    QCOMPARE(lwb::ui::plotDataCsv(plot.plot()), QStringLiteral("series,x,y\ntrain,1,2.5\ntrain,2,2.25\neval,2,2.4\n"));

    // The figure itself: vector formats carry the plot's shapes, raster its pixels.
    QTemporaryDir dir;
    QString error;
    for (const char *name : {"loss.svg", "loss.pdf", "loss.png"}) {
        const QString path = dir.filePath(QLatin1String(name));
        QVERIFY2(lwb::ui::savePlotImage(plot.plot(), path, &error), qPrintable(error));
        QVERIFY(QFileInfo(path).size() > 500);
    }
    QFile svg(dir.filePath(QStringLiteral("loss.svg")));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray text = svg.readAll();
    QVERIFY2(text.contains("<svg") && (text.contains("<path") || text.contains("<polyline")),
             text.left(2000).constData());
    QVERIFY(text.contains(">eval<") || text.contains("eval")); // the legend's text
    QVERIFY(!lwb::ui::savePlotImage(plot.plot(), dir.filePath(QStringLiteral("loss.bmp")), &error));
    QVERIFY(error.contains(QLatin1String(".svg")));
}

void LivePlotsTest::hoverNamesTheNearestPoint()
{
    LossPlot plot;
    plot.resize(600, 400);
    plot.show();
    plot.startRun(10);
    for (int step = 1; step <= 10; ++step)
        plot.addTrainLoss(step, 3.0 - 0.1 * step);
    QTRY_COMPARE(plot.drawnTrainPoints(), 10);
    plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
    auto *axisX = plot.plot()->xAxis;
    auto *axisY = plot.plot()->yAxis;
    const QPointF onPoint(axisX->coordToPixel(4.0) + 2.0, axisY->coordToPixel(2.6) - 1.0);
    QCOMPARE(lwb::ui::hoverText(plot.plot(), onPoint, QStringLiteral("step")), QStringLiteral("train: step 4, 2.6"));
    // Far from every point: nothing.
    const QPointF empty(axisX->coordToPixel(4.0), axisY->coordToPixel(0.5));
    QCOMPARE(lwb::ui::hoverText(plot.plot(), empty, QStringLiteral("step")), QString());
}

QTEST_MAIN(LivePlotsTest)
#include "live_plots_test.moc"
