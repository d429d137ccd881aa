// See compare_curves_panel.h.
#include "ui/compare_curves_panel.h"

#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "ui/plot_export.h"
#include "ui/plot_hover.h"
#include "ui/seed_band_plot.h"
#include "ui/store_worker.h"

#include <qcustomplot.h>

#include <QEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace lwb::ui {

namespace {

// One run's series and its training-token counts, read with the same query
// (the whole range, or a zoomed window), for buildCompareCurves.
RunSeriesPoints readRunSeries(lwb::storage::MetricReader &reader, std::int64_t id, const std::string &series,
                              const lwb::storage::SeriesQuery &query)
{
    RunSeriesPoints run;
    run.points = reader.scalarSeries(id, series, query);
    run.tokens = reader.scalarSeries(id, lwb::storage::series::kTokens, query);
    return run;
}

} // namespace

CompareCurvesPanel::CompareCurvesPanel(QWidget *parent)
    : QWidget(parent)
    , plot_(new QCustomPlot)
{
    plot_->setObjectName(QStringLiteral("compareCurves"));
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // A noisy curve in a pen wider than a pixel, drawn as one polyline, goes
    // through QPainter's stroker: 8 such curves of 4,000 points at 1.6 px took
    // 0.8-1 s per frame (tests/bench/results/2026-12-07-gui-stalls-2.md). As
    // separate segments the same pixels take under 10 ms (only the joins differ,
    // by less than a pixel). PDF export still strokes whole polylines.
    plot_->setPlottingHint(QCP::phFastPolylines, true);
    plot_->legend->setVisible(true);
    plot_->setMinimumHeight(220);
    installPlotExportMenu(plot_, QStringLiteral("compare_curves"));
    installHoverValues(plot_);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);

    // A plot made wider than the columns its curves were thinned to reads them
    // again at the new width, once the resizing has settled.
    rethinTimer_.setSingleShot(true);
    rethinTimer_.setInterval(250);
    connect(&rethinTimer_, &QTimer::timeout, this, [this] {
        if (window_ ? plotColumns() > window_->columns : data_ && plotColumns() > dataColumns_)
            window_ ? readWindow() : read();
    });
    plot_->installEventFilter(this);
    // A zoom or drag of the x axis reads the visible range once it has settled
    // (a wheel turn is several range changes; a drag, one per mouse move).
    zoomTimer_.setSingleShot(true);
    zoomTimer_.setInterval(250);
    connect(&zoomTimer_, &QTimer::timeout, this, &CompareCurvesPanel::readWindow);
    connect(plot_->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this] {
        if (!drawing_ && data_)
            zoomTimer_.start();
    });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, &CompareCurvesPanel::resetZoom);
}

void CompareCurvesPanel::setStore(StoreWorker *store)
{
    store_ = store;
}

void CompareCurvesPanel::showRuns(const ComparedRuns &runs, const QString &series)
{
    runs_ = runs;
    series_ = series;
    read();
}

void CompareCurvesPanel::dropCurves()
{
    ++generation_;
    data_.reset();
    dropWindow();
}

void CompareCurvesPanel::dropWindow()
{
    ++windowGeneration_;
    window_.reset();
    zoomTimer_.stop();
}

void CompareCurvesPanel::resetZoom()
{
    dropWindow();
    if (data_)
        draw();
}

void CompareCurvesPanel::setSeries(const QString &series)
{
    series_ = series;
    read();
}

void CompareCurvesPanel::setAxis(CompareAxis axis)
{
    axis_ = axis;
    dropWindow(); // a window of the old axis' x is no window of the new one
    if (data_)
        draw();
}

void CompareCurvesPanel::setBands(bool grouped, bool confidenceInterval)
{
    grouped_ = grouped;
    confidenceInterval_ = confidenceInterval;
    if (data_)
        draw(!window_);
}

int CompareCurvesPanel::plotColumns() const
{
    const double pixels = double(plot_->axisRect()->width()) * plot_->devicePixelRatioF();
    return std::clamp(int(std::ceil(pixels)), kMinPlotColumns, kMaxPlotColumns);
}

bool CompareCurvesPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == plot_ && event->type() == QEvent::Resize && data_)
        rethinTimer_.start();
    return QWidget::eventFilter(watched, event);
}

// The store thread reads the series (and train/tokens) of every run and makes
// the curves of every axis and both band kinds, thinned to the plot's width;
// the GUI thread only draws them (draw()).
void CompareCurvesPanel::read()
{
    const quint64 generation = ++generation_;
    dropWindow();
    if (store_ == nullptr || series_.isEmpty() || runs_.ids.isEmpty()) {
        data_.reset();
        draw();
        return;
    }
    // The curves on show stay until the new ones arrive (a wider plot's re-read
    // does not blank it).
    std::vector<std::vector<std::size_t>> groups;
    if (runs_.hasSeedGroups())
        groups = runs_.groups;
    const int columns = plotColumns();
    ++pendingReads_;
    store_->run<CompareCurveData>(
        this,
        [ids = std::vector<std::int64_t>(runs_.ids.begin(), runs_.ids.end()), seriesName = series_.toStdString(),
         groups = std::move(groups), columns](lwb::storage::RunStore &store, const StoreTaskControl &) {
            lwb::storage::MetricReader reader(store);
            lwb::storage::SeriesQuery query;
            query.maxPoints = kMaxPointsPerCurve;
            std::vector<RunSeriesPoints> runs;
            for (std::int64_t id : ids)
                runs.push_back(readRunSeries(reader, id, seriesName, query));
            return buildCompareCurves(runs, groups, columns);
        },
        [this, generation, name = series_, columns](StoreOutcome<CompareCurveData> outcome) {
            if (generation == generation_) {
                data_ = std::move(outcome.value).value_or(CompareCurveData{});
                dataSeries_ = name;
                dataColumns_ = columns;
                draw();
                Q_EMIT curvesShown();
            }
            if (--pendingReads_ == 0)
                Q_EMIT readsDone();
        });
}

// The visible x range, read again at the plot's width: per run, the steps that
// show it (windowQuery, from a coarse read of the whole run) read with the same
// point budget as the whole range, thinned to the plot's columns over the
// window. A zoom out over all the data goes back to the whole-range curves
// (already read) without a read.
void CompareCurvesPanel::readWindow()
{
    if (!data_ || store_ == nullptr || runs_.ids.isEmpty())
        return;
    if (showsAllData()) {
        if (window_) {
            dropWindow();
            draw(false);
            Q_EMIT curvesShown();
        }
        return;
    }
    const quint64 generation = ++windowGeneration_;
    const quint64 wholeGeneration = generation_;
    const CompareAxis axis = axis_;
    const QCPRange range = plot_->xAxis->range();
    std::vector<std::vector<std::size_t>> groups;
    if (runs_.hasSeedGroups())
        groups = runs_.groups;
    const int columns = plotColumns();
    ++pendingReads_;
    store_->run<CompareCurveData>(
        this,
        [ids = std::vector<std::int64_t>(runs_.ids.begin(), runs_.ids.end()), seriesName = series_.toStdString(),
         groups = std::move(groups), columns, axis, low = range.lower,
         high = range.upper](lwb::storage::RunStore &store, const StoreTaskControl &) {
            lwb::storage::MetricReader reader(store);
            lwb::storage::SeriesQuery whole;
            whole.maxPoints = kMaxPointsPerCurve;
            std::vector<RunSeriesPoints> runs;
            for (std::int64_t id : ids) {
                RunSeriesPoints coarse;
                coarse.points = reader.scalarSeries(id, seriesName, whole);
                if (axis == CompareAxis::Tokens)
                    coarse.tokens = reader.scalarSeries(id, lwb::storage::series::kTokens, whole);
                runs.push_back(
                    readRunSeries(reader, id, seriesName, windowQuery(coarse, axis, low, high, kMaxPointsPerCurve)));
            }
            return buildCompareCurves(runs, groups, columns);
        },
        [this, generation, wholeGeneration, axis, columns](StoreOutcome<CompareCurveData> outcome) {
            if (generation == windowGeneration_ && wholeGeneration == generation_ && axis == axis_ && outcome.value) {
                window_ = Window{std::move(*outcome.value), axis, columns};
                draw(false);
                Q_EMIT curvesShown();
            }
            if (--pendingReads_ == 0)
                Q_EMIT readsDone();
        });
}

bool CompareCurvesPanel::showsAllData() const
{
    const QCPRange visible = plot_->xAxis->range();
    const CompareAxisCurves &whole = data_->axis(axis_);
    for (const auto &curve : whole.runs)
        for (const double x : curve.x)
            if (std::isfinite(x) && !visible.contains(x))
                return false;
    return true;
}

// Hands the curves of the chosen axis (or the bands of the chosen kind) to the
// plot: plain vector copies, then one queued replot. fitAxes: the axes span
// the curves (a new read, another axis); otherwise they stay as the user
// zoomed them.
void CompareCurvesPanel::draw(bool fitAxes)
{
    plot_->clearGraphs();
    if (data_) { // an empty plot keeps its labels (and so its height in the splitter)
        plot_->xAxis->setLabel(axis_ == CompareAxis::Step     ? tr("step")
                               : axis_ == CompareAxis::Tokens ? tr("training tokens")
                                                              : tr("wall time (s)"));
        plot_->yAxis->setLabel(dataSeries_);
        const bool sparse = dataSeries_.startsWith(QLatin1String("eval/"));
        const CompareAxisCurves &shown = window_ ? window_->data.axis(axis_) : data_->axis(axis_);
        const auto &bands = confidenceInterval_ ? shown.confidenceBands : shown.minMaxBands;
        if (grouped_ && runs_.hasSeedGroups() && bands.size() == runs_.groups.size()) {
            for (std::size_t g = 0; g < runs_.groups.size(); ++g)
                addSeedBand(*plot_, bands[g], compareColor(int(g)), runs_.groupLabels.value(int(g)), sparse);
        } else {
            for (int i = 0; i < int(shown.runs.size()) && i < runs_.ids.size(); ++i) {
                QCPGraph *graph = plot_->addGraph();
                graph->setName(runs_.labels.value(i));
                graph->setPen(QPen(compareColor(i), 1.6));
                if (sparse)
                    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
                graph->setData(shown.runs[std::size_t(i)].x, shown.runs[std::size_t(i)].y, true);
            }
        }
    }
    if (fitAxes) {
        drawing_ = true;
        plot_->rescaleAxes();
        drawing_ = false;
    }
    // Curves: one replot when the event loop next turns (several changes in a
    // row draw once). An empty plot replots now: it costs nothing, and the
    // splitter sizes the plot by the layout that replot makes.
    plot_->replot(data_ ? QCustomPlot::rpQueuedReplot : QCustomPlot::rpRefreshHint);
}

} // namespace lwb::ui
