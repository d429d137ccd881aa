// See loss_plot.h.
#include "ui/loss_plot.h"

#include "ui/plot_export.h"
#include "ui/plot_hover.h"
#include "ui/plot_parts.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace lwb::ui {

namespace {

constexpr int kTrainMaxPoints = 4000; // a few points per pixel of a wide plot
constexpr int kEvalMaxPoints = 1000;

const QColor kTrainColor(31, 119, 180);

// TensorBoard's smoothing: a debiased EMA; NaN gaps stay gaps and do not count.
QVector<QCPGraphData> smoothedData(const QVector<QPointF> &points, double weight)
{
    QVector<QCPGraphData> data;
    data.reserve(points.size());
    double last = 0.0;
    int count = 0;
    for (const auto &point : points) {
        if (std::isnan(point.y())) {
            data.push_back(QCPGraphData(point.x(), point.y()));
            continue;
        }
        last = weight * last + (1.0 - weight) * point.y();
        ++count;
        data.push_back(QCPGraphData(point.x(), last / (1.0 - std::pow(weight, count))));
    }
    return data;
}

} // namespace

LossPlot::LossPlot(QWidget *parent)
    : QWidget(parent)
    , plot_(new QCustomPlot(this))
    , smoothingSlider_(new QSlider(Qt::Horizontal))
    , smoothingLabel_(new QLabel)
    , logScale_(new QCheckBox(tr("Log scale")))
    , train_(kTrainMaxPoints)
    , eval_(kEvalMaxPoints)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(buildControls());
    layout->addWidget(plot_, 1);
    plot_->setObjectName(QStringLiteral("lossPlot"));
    installHoverValues(plot_, tr("step"));
    installPlotExportMenu(plot_, QStringLiteral("loss"));
    plot_->setMinimumSize(320, 240);
    // The smoothed (2 px) and eval (1.5 px) lines as separate segments, not one
    // polyline through QPainter's slow stroker for wide pens (compare_view.cpp).
    plot_->setPlottingHint(QCP::phFastPolylines, true);

    addPlotTitle(plot_, tr("Loss"));
    plot_->xAxis->setLabel(tr("step"));
    plot_->yAxis->setLabel(tr("loss (nats / token)"));

    trainGraph_ = plot_->addGraph();
    trainGraph_->setName(tr("train"));
    trainGraph_->setPen(QPen(kTrainColor, 1.0)); // 1 px: QPainter draws wider lines through a much slower stroker
    trainGraph_->setAdaptiveSampling(true);

    smoothedGraph_ = plot_->addGraph();
    smoothedGraph_->setName(tr("train (smoothed)"));
    smoothedGraph_->setPen(QPen(kTrainColor.darker(130), 2.0));
    smoothedGraph_->setVisible(false);
    smoothedGraph_->removeFromLegend();

    evalGraph_ = plot_->addGraph();
    evalGraph_->setName(tr("eval"));
    evalGraph_->setPen(QPen(QColor(214, 39, 40), 1.5));
    evalGraph_->setLineStyle(QCPGraph::lsLine);
    evalGraph_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(214, 39, 40), 7));

    plot_->legend->setVisible(true);
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->installEventFilter(this);
    plot_->xAxis->setRange(0, 1);
    plot_->yAxis->setRange(0, 1);
    plot_->setToolTip(tr("Drag to pan, wheel to zoom; double-click to follow the run again."));

    refreshTimer_.setTimerType(Qt::CoarseTimer);
    setRefreshRate(kDefaultRefreshHz);
    connect(&refreshTimer_, &QTimer::timeout, this, &LossPlot::refresh);
    refreshTimer_.start();
}

QWidget *LossPlot::buildControls()
{
    auto *bar = new QWidget;
    auto *layout = new QHBoxLayout(bar);
    layout->setContentsMargins(4, 2, 4, 0);
    smoothingSlider_->setObjectName(QStringLiteral("lossSmoothing"));
    smoothingSlider_->setRange(0, 99);
    smoothingSlider_->setMaximumWidth(220);
    smoothingSlider_->setToolTip(tr("Exponential moving average of the train loss, as TensorBoard's smoothing "
                                    "(0: raw). The raw curve stays visible behind it."));
    smoothingLabel_->setMinimumWidth(32);
    logScale_->setObjectName(QStringLiteral("lossLogScale"));
    logScale_->setToolTip(tr("Logarithmic loss axis."));
    layout->addWidget(new QLabel(tr("Smoothing")));
    layout->addWidget(smoothingSlider_);
    layout->addWidget(smoothingLabel_);
    layout->addSpacing(12);
    layout->addWidget(logScale_);
    layout->addStretch();
    connect(smoothingSlider_, &QSlider::valueChanged, this, [this](int value) { setSmoothing(value / 100.0); });
    connect(logScale_, &QCheckBox::toggled, this, &LossPlot::setLogScale);
    smoothingLabel_->setText(QStringLiteral("0.00"));
    return bar;
}

void LossPlot::setSmoothing(double weight)
{
    smoothing_ = std::clamp(weight, 0.0, 0.99);
    const QSignalBlocker blocker(smoothingSlider_);
    smoothingSlider_->setValue(static_cast<int>(std::lround(smoothing_ * 100.0)));
    smoothingLabel_->setText(QString::number(smoothing_, 'f', 2));
    const bool on = smoothing_ > 0.0;
    smoothedGraph_->setVisible(on);
    // The raw curve fades behind the smoothed one rather than disappearing.
    QColor raw = kTrainColor;
    raw.setAlpha(on ? 70 : 255);
    trainGraph_->setPen(QPen(raw, 1.0));
    if (on)
        smoothedGraph_->addToLegend();
    else
        smoothedGraph_->removeFromLegend();
    redrawSmoothed();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LossPlot::setLogScale(bool on)
{
    {
        const QSignalBlocker blocker(logScale_);
        logScale_->setChecked(on);
    }
    plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    plot_->yAxis->setTicker(on ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                               : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    fitView();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

bool LossPlot::logScale() const
{
    return logScale_->isChecked();
}

int LossPlot::drawnSmoothedPoints() const
{
    return smoothedGraph_->visible() ? smoothedGraph_->dataCount() : 0;
}

double LossPlot::smoothedValueAt(int index) const
{
    return smoothedGraph_->data()->at(index)->value;
}

void LossPlot::redrawSmoothed()
{
    if (smoothing_ > 0.0)
        smoothedGraph_->data()->set(smoothedData(train_.points(), smoothing_), /*alreadySorted=*/true);
    else
        smoothedGraph_->data()->clear();
}

void LossPlot::startRun(std::int64_t totalSteps)
{
    clear();
    totalSteps_ = totalSteps;
    followData_ = true;
    fitView();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LossPlot::addTrainLoss(double step, double loss)
{
    train_.append(step, loss);
}

void LossPlot::addEvalLoss(double step, double loss)
{
    eval_.append(step, loss);
}

void LossPlot::clear()
{
    train_.clear();
    eval_.clear();
    // The next refresh sees new revisions and draws the empty graphs.
}

void LossPlot::setRefreshRate(int hz)
{
    refreshTimer_.setInterval(1000 / std::clamp(hz, 1, 120));
}

int LossPlot::refreshRate() const
{
    return 1000 / std::max(1, refreshTimer_.interval());
}

int LossPlot::drawnTrainPoints() const
{
    return trainGraph_->dataCount();
}

int LossPlot::drawnEvalPoints() const
{
    return evalGraph_->dataCount();
}

void LossPlot::refresh()
{
    const bool trainChanged = train_.revision() != drawnTrainRevision_;
    const bool evalChanged = eval_.revision() != drawnEvalRevision_;
    if (!trainChanged && !evalChanged)
        return;
    if (trainChanged) {
        trainGraph_->data()->set(toGraphData(train_.points()), /*alreadySorted=*/true);
        redrawSmoothed();
        drawnTrainRevision_ = train_.revision();
    }
    if (evalChanged) {
        evalGraph_->data()->set(toGraphData(eval_.points()), /*alreadySorted=*/true);
        drawnEvalRevision_ = eval_.revision();
    }
    if (followData_)
        fitView();
    plot_->replot(QCustomPlot::rpQueuedRefresh);
    ++replotCount_;
}

void LossPlot::fitView()
{
    bool foundTrain = false;
    bool foundEval = false;
    QCPRange yRange = trainGraph_->getValueRange(foundTrain);
    const QCPRange evalRange = evalGraph_->getValueRange(foundEval);
    if (foundEval)
        yRange = foundTrain ? QCPRange(std::min(yRange.lower, evalRange.lower), std::max(yRange.upper, evalRange.upper))
                            : evalRange;
    if (foundTrain || foundEval) {
        // Losses sit above zero; start the axis at zero unless the curve is far
        // from it, so the fall reads at a glance.
        const double span = std::max(yRange.size(), 1e-6);
        if (logScale_->isChecked() && yRange.lower > 0) {
            plot_->yAxis->setRange(yRange.lower / 1.1, yRange.upper * 1.1);
        } else {
            const double lower = yRange.lower > 0 && yRange.lower < 2 * span ? 0.0 : yRange.lower - 0.05 * span;
            plot_->yAxis->setRange(lower, yRange.upper + 0.05 * span);
        }
    }
    double xUpper = static_cast<double>(std::max<std::int64_t>(totalSteps_, 1));
    bool foundKeys = false;
    const QCPRange keys = trainGraph_->getKeyRange(foundKeys);
    if (foundKeys)
        xUpper = std::max(xUpper, keys.upper);
    plot_->xAxis->setRange(0, xUpper);
}

bool LossPlot::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == plot_) {
        switch (event->type()) {
        case QEvent::MouseButtonPress:
        case QEvent::Wheel:
            followData_ = false; // the user takes over the view
            break;
        case QEvent::MouseButtonDblClick:
            followData_ = true;
            fitView();
            plot_->replot(QCustomPlot::rpQueuedReplot);
            break;
        default:
            break;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace lwb::ui
