// See training_metrics_view.h.
#include "ui/training_metrics_view.h"

#include "ui/plot_export.h"
#include "ui/plot_hover.h"
#include "ui/plot_parts.h"

#include <qcustomplot.h>

#include <QGridLayout>

#include <algorithm>
#include <cmath>

namespace lwb::ui {

namespace {

constexpr double kBytesPerMiB = 1024.0 * 1024.0;

} // namespace

TrainingMetricsView::TrainingMetricsView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("trainingMetrics"));
    panels_[LearningRate] = makePanel(tr("Learning rate"), QStringLiteral("learningRatePlot"), QColor(44, 160, 44));
    panels_[GradientNorm]
        = makePanel(tr("Gradient norm (before clipping)"), QStringLiteral("gradNormPlot"), QColor(255, 127, 14));
    panels_[TokensPerSecond]
        = makePanel(tr("Throughput (tokens/s)"), QStringLiteral("throughputPlot"), QColor(148, 103, 189));
    panels_[PeakMemory] = makePanel(tr("Peak memory (MiB)"), QStringLiteral("memoryPlot"), QColor(140, 86, 75));
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    for (int i = 0; i < MetricCount; ++i)
        layout->addWidget(panels_[std::size_t(i)].plot, i / 2, i % 2);

    refreshTimer_.setTimerType(Qt::CoarseTimer);
    setRefreshRate(30);
    connect(&refreshTimer_, &QTimer::timeout, this, &TrainingMetricsView::refresh);
    refreshTimer_.start();
}

TrainingMetricsView::Panel TrainingMetricsView::makePanel(const QString &title, const QString &objectName,
                                                          const QColor &color)
{
    Panel panel;
    panel.plot = new QCustomPlot(this);
    panel.plot->setObjectName(objectName);
    panel.plot->setMinimumSize(200, 110);
    // Gradient norm and throughput are noisy: a 1.4 px pen as one polyline goes
    // through QPainter's slow stroker (see compare_view.cpp); segments are fast.
    panel.plot->setPlottingHint(QCP::phFastPolylines, true);
    addPlotTitle(panel.plot, title);
    panel.plot->xAxis->setLabel(tr("step"));
    // Small plots: few ticks, so labels never overlap.
    panel.plot->yAxis->ticker()->setTickCount(3);
    panel.plot->xAxis->ticker()->setTickCount(5);
    panel.plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    panel.graph = panel.plot->addGraph();
    panel.graph->setName(title);
    panel.graph->setPen(QPen(color, 1.4));
    panel.plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    installPlotExportMenu(panel.plot, objectName);
    installHoverValues(panel.plot, tr("step"));
    return panel;
}

void TrainingMetricsView::startRun(std::int64_t totalSteps)
{
    totalSteps_ = totalSteps;
    for (auto &panel : panels_) {
        panel.series.clear();
        panel.plot->xAxis->setRange(0, double(std::max<std::int64_t>(totalSteps, 1)));
    }
}

void TrainingMetricsView::addStep(const lwb::StepMetrics &metrics)
{
    const auto step = double(metrics.step);
    panels_[LearningRate].series.append(step, metrics.learningRate);
    panels_[GradientNorm].series.append(step, metrics.gradNorm);
    panels_[TokensPerSecond].series.append(step, metrics.tokensPerSecond);
    if (metrics.peakMemoryBytes > 0)
        panels_[PeakMemory].series.append(step, double(metrics.peakMemoryBytes) / kBytesPerMiB);
}

void TrainingMetricsView::setRefreshRate(int hz)
{
    refreshTimer_.setInterval(1000 / std::clamp(hz, 1, 120));
}

int TrainingMetricsView::drawnPoints(Metric metric) const
{
    return panels_[metric].graph->dataCount();
}

void TrainingMetricsView::refresh()
{
    for (auto &panel : panels_) {
        if (panel.series.revision() == panel.drawnRevision)
            continue;
        panel.graph->data()->set(toGraphData(panel.series.points()), /*alreadySorted=*/true);
        panel.drawnRevision = panel.series.revision();
        bool found = false;
        const QCPRange range = panel.graph->getValueRange(found);
        if (found) {
            const double span = std::max(range.size(), std::abs(range.upper) * 0.05 + 1e-12);
            panel.plot->yAxis->setRange(range.lower - 0.1 * span, range.upper + 0.1 * span);
        }
        bool foundKeys = false;
        const QCPRange keys = panel.graph->getKeyRange(foundKeys);
        panel.plot->xAxis->setRange(
            0, std::max(double(std::max<std::int64_t>(totalSteps_, 1)), foundKeys ? keys.upper : 0.0));
        panel.plot->replot(QCustomPlot::rpQueuedRefresh);
    }
}

} // namespace lwb::ui
