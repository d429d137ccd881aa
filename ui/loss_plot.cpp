// See loss_plot.h.
#include "ui/loss_plot.h"

#include "ui/plot_export.h"

#include <qcustomplot.h>

#include <QEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace lwb::ui {

namespace {

constexpr int kTrainMaxPoints = 4000; // a few points per pixel of a wide plot
constexpr int kEvalMaxPoints = 1000;

QVector<QCPGraphData> toGraphData(const QVector<QPointF> &points)
{
    QVector<QCPGraphData> data;
    data.reserve(points.size());
    for (const auto &point : points)
        data.push_back(QCPGraphData(point.x(), point.y()));
    return data;
}

} // namespace

LossPlot::LossPlot(QWidget *parent)
    : QWidget(parent)
    , plot_(new QCustomPlot(this))
    , train_(kTrainMaxPoints)
    , eval_(kEvalMaxPoints)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->setObjectName(QStringLiteral("lossPlot"));
    installPlotExportMenu(plot_, QStringLiteral("loss"));
    plot_->setMinimumSize(320, 240);

    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("Loss"), QFont(font().family(), -1, QFont::Bold)));
    plot_->xAxis->setLabel(tr("step"));
    plot_->yAxis->setLabel(tr("loss (nats / token)"));

    trainGraph_ = plot_->addGraph();
    trainGraph_->setName(tr("train"));
    trainGraph_->setPen(QPen(QColor(31, 119, 180), 1.5));
    trainGraph_->setAdaptiveSampling(true);

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
        const double lower = yRange.lower > 0 && yRange.lower < 2 * span ? 0.0 : yRange.lower - 0.05 * span;
        plot_->yAxis->setRange(lower, yRange.upper + 0.05 * span);
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
