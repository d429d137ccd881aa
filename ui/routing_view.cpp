// See routing_view.h.
#include "ui/routing_view.h"

#include "engine/adapters/variant_traits.h"
#include "ui/plot_export.h"
#include "ui/plot_hover.h"
#include "ui/plot_parts.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace lwb::ui {

namespace {

constexpr int kCurveMaxPoints = 2000;

} // namespace

// The block number and what follows it, so GPT-2's attn.c_proj and
// mlp.c_proj stay apart.
QString shortLayerName(const QString &path)
{
    const QStringList parts = path.split(QLatin1Char('.'));
    for (qsizetype i = 0; i < parts.size(); ++i) {
        bool isNumber = false;
        parts[i].toInt(&isNumber);
        if (isNumber)
            return parts.mid(i).join(QLatin1Char('.'));
    }
    return parts.last();
}

RoutingView::RoutingView(QWidget *parent)
    : QWidget(parent)
    , placeholder_(new QLabel(this))
    , plots_(new QWidget(this))
    , heatmap_(new QCustomPlot(plots_))
    , curves_(new QCustomPlot(plots_))
    , taskPlot_(new QCustomPlot(plots_))
    , entropy_(kCurveMaxPoints)
    , meanEntropy_(kCurveMaxPoints)
    , dropped_(kCurveMaxPoints)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    placeholder_->setObjectName(QStringLiteral("routingPlaceholder"));
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setWordWrap(true);
    placeholder_->setText(tr("Routing statistics appear here while a mixture run (SiRA) trains."));
    layout->addWidget(placeholder_);
    layout->addWidget(plots_, 1);
    auto *plotsLayout = new QVBoxLayout(plots_);
    plotsLayout->setContentsMargins(0, 0, 0, 0);
    plotsLayout->addWidget(heatmap_, 3);
    plotsLayout->addWidget(curves_, 2);
    plotsLayout->addWidget(taskPlot_, 2);
    plots_->hide();

    heatmap_->setObjectName(QStringLiteral("expertLoadHeatmap"));
    heatmap_->setMinimumSize(280, 200);
    colorMap_ = addHeatmap(heatmap_, tr("Expert load (latest step)"), tr("share of assignments"));
    heatmap_->setToolTip(tr("Each row is an adapted layer, each column an expert; uniform routing is 1/E "
                            "everywhere, a collapsed router lights one column."));

    curves_->setObjectName(QStringLiteral("routingEntropyPlot"));
    installHoverValues(curves_, tr("step"));
    installPlotExportMenu(curves_, QStringLiteral("routing_entropy"));
    curves_->setMinimumSize(280, 160);
    // Per-step entropy is noisy: pens wider than a pixel as one polyline go
    // through QPainter's slow stroker (see compare_view.cpp); segments are fast.
    curves_->setPlottingHint(QCP::phFastPolylines, true);
    addPlotTitle(curves_, tr("Routing entropy"));
    curves_->xAxis->setLabel(tr("step"));
    curves_->yAxis->setLabel(tr("nats"));
    curves_->yAxis2->setLabel(tr("dropped fraction"));
    curves_->yAxis2->setVisible(true);
    curves_->yAxis2->setRange(0, 1);
    entropyGraph_ = curves_->addGraph();
    entropyGraph_->setName(tr("per-token entropy"));
    entropyGraph_->setPen(QPen(QColor(31, 119, 180), 1.5));
    meanEntropyGraph_ = curves_->addGraph();
    meanEntropyGraph_->setName(tr("entropy of mean routing"));
    meanEntropyGraph_->setPen(QPen(QColor(44, 160, 44), 1.5));
    uniformGraph_ = curves_->addGraph();
    uniformGraph_->setName(tr("log E (uniform)"));
    uniformGraph_->setPen(QPen(QColor(127, 127, 127), 1, Qt::DashLine));
    droppedGraph_ = curves_->addGraph(curves_->xAxis, curves_->yAxis2);
    droppedGraph_->setName(tr("dropped by capacity"));
    droppedGraph_->setPen(QPen(QColor(214, 39, 40), 1.2));
    // The legend goes below the axes, two columns, so it never covers a curve.
    curves_->legend->setVisible(true);
    curves_->legend->setFont(QFont(font().family(), 8));
    curves_->axisRect()->insetLayout()->take(curves_->legend);
    curves_->plotLayout()->addElement(2, 0, curves_->legend);
    curves_->legend->setWrap(2);
    curves_->legend->setFillOrder(QCPLegend::foColumnsFirst, /*rearrange=*/true);
    curves_->legend->setBorderPen(Qt::NoPen);
    curves_->plotLayout()->setRowStretchFactor(2, 0.001);

    taskPlot_->setObjectName(QStringLiteral("taskExpertPlot"));
    taskPlot_->setMinimumSize(280, 140);
    taskMap_ = addHeatmap(taskPlot_, tr("Task × expert (evaluation)"), tr("share of the task"));
    taskPlot_->setToolTip(tr("For each task of the evaluation set, the share of its tokens' expert assignments "
                             "that each expert received, over all adapted layers."));
    taskPlot_->hide();

    refreshTimer_.setTimerType(Qt::CoarseTimer);
    refreshTimer_.setInterval(33);
    connect(&refreshTimer_, &QTimer::timeout, this, &RoutingView::refresh);
    refreshTimer_.start();
}

void RoutingView::setRefreshRate(int hz)
{
    refreshTimer_.setInterval(1000 / std::clamp(hz, 1, 120));
}

void RoutingView::startRun(std::int64_t totalSteps, const QString &variant)
{
    totalSteps_ = totalSteps;
    layers_.clear();
    experts_ = 0;
    loads_.clear();
    entropy_.clear();
    meanEntropy_.clear();
    dropped_.clear();
    tasks_.clear();
    taskShares_.clear();
    taskExperts_ = 0;
    taskPlot_->hide();
    axesStale_ = true;
    ++revision_;
    placeholder_->setText(lwb::reportsRouting(variant.toStdString())
                              ? tr("Waiting for the first step of this SiRA run…")
                              : tr("This run's adapter (%1) has no router: there is no routing to show.").arg(variant));
    placeholder_->show();
    plots_->hide();
}

void RoutingView::addStep(const lwb::StepMetrics &metrics)
{
    const auto &layers = metrics.adapter.layers;
    if (layers.empty())
        return;
    const int experts = static_cast<int>(layers.front().expertLoad.size());
    if (layers_.size() != static_cast<int>(layers.size()) || experts != experts_) {
        layers_.clear();
        for (const auto &layer : layers)
            layers_ << QString::fromStdString(layer.layer);
        experts_ = experts;
        axesStale_ = true;
    }
    loads_.assign(layers.size() * static_cast<std::size_t>(experts_), 0.0f);
    double entropy = 0.0, meanEntropy = 0.0;
    std::int64_t routed = 0, dropped = 0;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const auto &load = layers[l].expertLoad;
        std::copy_n(load.begin(), std::min<std::size_t>(load.size(), static_cast<std::size_t>(experts_)),
                    loads_.begin() + static_cast<std::ptrdiff_t>(l * static_cast<std::size_t>(experts_)));
        entropy += layers[l].routingEntropy;
        meanEntropy += layers[l].meanRoutingEntropy;
        routed += layers[l].routedTokens;
        dropped += layers[l].droppedTokens;
    }
    const double step = static_cast<double>(metrics.step);
    entropy_.append(step, entropy / static_cast<double>(layers.size()));
    meanEntropy_.append(step, meanEntropy / static_cast<double>(layers.size()));
    dropped_.append(step, routed > 0 ? static_cast<double>(dropped) / static_cast<double>(routed) : 0.0);
    ++revision_;
}

void RoutingView::addEval(const lwb::EvalMetrics &metrics)
{
    if (metrics.expertShareByTask.empty())
        return;
    tasks_.clear();
    taskShares_.clear();
    taskExperts_ = static_cast<int>(metrics.expertShareByTask.begin()->second.size());
    for (const auto &[task, shares] : metrics.expertShareByTask) {
        tasks_ << QString::fromStdString(task);
        for (int e = 0; e < taskExperts_; ++e)
            taskShares_.push_back(e < static_cast<int>(shares.size()) ? shares[static_cast<std::size_t>(e)] : 0.0);
    }
    taskStep_ = metrics.step;
    drawTaskMatrix();
}

double RoutingView::taskShare(int task, int expert) const
{
    return taskShares_.at(static_cast<std::size_t>(task * taskExperts_ + expert));
}

void RoutingView::drawTaskMatrix()
{
    const int rows = static_cast<int>(tasks_.size());
    setHeatmapShape(taskPlot_, taskMap_, tasks_, taskExperts_);
    double highest = 0.0;
    for (int t = 0; t < rows; ++t) {
        for (int e = 0; e < taskExperts_; ++e) {
            taskMap_->data()->setCell(e, t, taskShare(t, e));
            highest = std::max(highest, taskShare(t, e));
        }
    }
    taskMap_->setDataRange(QCPRange(0.0, std::max(highest, 1e-6)));
    if (auto *heading = qobject_cast<QCPTextElement *>(taskPlot_->plotLayout()->element(0, 0)))
        heading->setText(tr("Task × expert (eval, step %1)").arg(taskStep_));
    taskPlot_->show();
    taskPlot_->replot(QCustomPlot::rpQueuedReplot);
}

double RoutingView::load(int layer, int expert) const
{
    return loads_.at(static_cast<std::size_t>(layer * experts_ + expert));
}

bool RoutingView::showsPlaceholder() const
{
    return !placeholder_->isHidden();
}

void RoutingView::rebuildHeatmapAxes()
{
    QStringList rows;
    for (const QString &layer : layers_)
        rows << shortLayerName(layer);
    setHeatmapShape(heatmap_, colorMap_, rows, experts_);
    QVector<QCPGraphData> uniform;
    if (experts_ > 0) {
        const double value = std::log(static_cast<double>(experts_));
        uniform = {QCPGraphData(0, value),
                   QCPGraphData(static_cast<double>(std::max<std::int64_t>(totalSteps_, 1)), value)};
    }
    uniformGraph_->data()->set(uniform, true);
    axesStale_ = false;
}

void RoutingView::refresh()
{
    if (revision_ == drawnRevision_)
        return;
    drawnRevision_ = revision_;
    if (layers_.isEmpty())
        return; // the placeholder says why
    placeholder_->hide();
    plots_->show();
    if (axesStale_)
        rebuildHeatmapAxes();
    float highest = 0.0f;
    for (int l = 0; l < layerCount(); ++l) {
        for (int e = 0; e < experts_; ++e) {
            const float value = loads_[static_cast<std::size_t>(l * experts_ + e)];
            colorMap_->data()->setCell(e, l, value);
            highest = std::max(highest, value);
        }
    }
    colorMap_->setDataRange(QCPRange(0.0, std::max(highest, 1e-6f)));
    heatmap_->replot(QCustomPlot::rpQueuedRefresh);

    entropyGraph_->data()->set(toGraphData(entropy_.points()), true);
    meanEntropyGraph_->data()->set(toGraphData(meanEntropy_.points()), true);
    droppedGraph_->data()->set(toGraphData(dropped_.points()), true);
    const double top = experts_ > 0 ? std::log(static_cast<double>(experts_)) : 1.0;
    curves_->yAxis->setRange(0, top * 1.08);
    curves_->xAxis->setRange(0, static_cast<double>(std::max<std::int64_t>(totalSteps_, 1)));
    bool found = false;
    const QCPRange droppedRange = droppedGraph_->getValueRange(found);
    curves_->yAxis2->setRange(0, found ? std::max(0.05, droppedRange.upper * 1.1) : 1.0);
    curves_->replot(QCustomPlot::rpQueuedRefresh);
}

} // namespace lwb::ui
