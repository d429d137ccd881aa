// See compare_view.h.
#include "ui/compare_view.h"

#include "engine/adapters/variant_traits.h"
#include "storage/config_diff.h"
#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_statistics.h"
#include "storage/run_store.h"
#include "ui/compare_curve_data.h"
#include "ui/plot_export.h"
#include "ui/plot_hover.h"
#include "ui/seed_band_plot.h"
#include "ui/store_worker.h"
#include "ui/stored_routing_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace lwb::ui {

namespace {

namespace series = lwb::storage::series;

// Distinguishable on light and dark backgrounds (Tableau 10).
const QColor kPalette[]
    = {QColor(31, 119, 180), QColor(255, 127, 14),  QColor(44, 160, 44),   QColor(214, 39, 40),  QColor(148, 103, 189),
       QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34), QColor(23, 190, 207)};

QColor runColor(int index)
{
    constexpr int count = int(sizeof(kPalette) / sizeof(kPalette[0]));
    return kPalette[index % count];
}

QTableWidget *makeTable(const QString &objectName)
{
    auto *table = new QTableWidget;
    table->setObjectName(objectName);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAlternatingRowColors(true);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setTextElideMode(Qt::ElideMiddle);
    table->setWordWrap(false);
    return table;
}

void setCell(QTableWidget *table, int row, int column, const QString &text, bool bold = false)
{
    auto *item = new QTableWidgetItem(text);
    item->setToolTip(text);
    if (bold) {
        QFont font = item->font();
        font.setBold(true);
        item->setFont(font);
    }
    table->setItem(row, column, item);
}

// Columns fit their contents up to a width, so every run's column stays in
// view; a longer value is elided and shown whole in its tooltip.
void fitColumns(QTableWidget *table)
{
    constexpr int kMaxColumnWidth = 260;
    table->resizeColumnsToContents();
    for (int column = 0; column < table->columnCount(); ++column)
        table->setColumnWidth(column, std::min(table->columnWidth(column), kMaxColumnWidth));
}

QString number(double value)
{
    return QString::number(value, 'g', 6);
}

} // namespace

CompareView::CompareView(QWidget *parent)
    : QWidget(parent)
    , title_(new QLabel)
    , seriesChoice_(new QComboBox)
    , axisChoice_(new QComboBox)
    , allKeys_(new QCheckBox(tr("Show all keys")))
    , groupBySeed_(new QCheckBox(tr("Group by seed")))
    , bandChoice_(new QComboBox)
    , curves_(new QCustomPlot)
    , taskBars_(new QCustomPlot)
    , tabs_(new QTabWidget)
    , configTable_(makeTable(QStringLiteral("compareConfigTable")))
    , metricsTable_(makeTable(QStringLiteral("compareMetricsTable")))
    , taskTable_(makeTable(QStringLiteral("compareTaskTable")))
    , routingRun_(new QComboBox)
    , routing_(new StoredRoutingView)
{
    setObjectName(QStringLiteral("compareView"));
    curves_->setObjectName(QStringLiteral("compareCurves"));
    curves_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // A noisy curve in a pen wider than a pixel, drawn as one polyline, goes
    // through QPainter's stroker: 8 such curves of 4,000 points at 1.6 px took
    // 0.8-1 s per frame (tests/bench/results/2026-12-07-gui-stalls-2.md). As
    // separate segments the same pixels take under 10 ms (only the joins differ,
    // by less than a pixel). PDF export still strokes whole polylines.
    curves_->setPlottingHint(QCP::phFastPolylines, true);
    curves_->legend->setVisible(true);
    curves_->setMinimumHeight(220);
    installPlotExportMenu(curves_, QStringLiteral("compare_curves"));
    installHoverValues(curves_);
    taskBars_->setObjectName(QStringLiteral("compareTaskBars"));
    taskBars_->legend->setVisible(true);
    taskBars_->yAxis->setLabel(tr("exact match (last evaluation)"));
    taskBars_->yAxis->setRange(0.0, 1.05);
    installPlotExportMenu(taskBars_, QStringLiteral("compare_task_bars"));

    auto *configPage = new QWidget;
    auto *configLayout = new QVBoxLayout(configPage);
    configLayout->setContentsMargins(0, 0, 0, 0);
    allKeys_->setObjectName(QStringLiteral("compareAllKeys"));
    allKeys_->setToolTip(tr("Off: only the config keys whose values differ between the runs."));
    configLayout->addWidget(allKeys_);
    configLayout->addWidget(configTable_);
    auto *taskPage = new QSplitter(Qt::Horizontal);
    taskPage->addWidget(taskBars_);
    taskPage->addWidget(taskTable_);
    tabs_->setObjectName(QStringLiteral("compareTabs"));
    tabs_->addTab(configPage, tr("Config diff"));
    tabs_->addTab(metricsTable_, tr("Final / best metrics"));
    tabs_->addTab(taskPage, tr("Per-task evaluation"));
    auto *routingPage = new QWidget;
    auto *routingLayout = new QVBoxLayout(routingPage);
    routingLayout->setContentsMargins(0, 0, 0, 0);
    routingRun_->setObjectName(QStringLiteral("compareRoutingRun"));
    routingRun_->setToolTip(tr("The run whose stored routing is shown."));
    routingLayout->addWidget(routingRun_);
    routingLayout->addWidget(routing_, 1);
    tabs_->addTab(routingPage, tr("Routing"));
    connect(routingRun_, &QComboBox::currentIndexChanged, this,
            [this] { routing_->showRun(routingRun_->currentData().toLongLong()); });

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(curves_);
    splitter->addWidget(tabs_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(buildToolbar());
    layout->addWidget(splitter, 1);

    // A new series is a new read; the axis, the band and the grouping only
    // choose among the curves that read already made (CompareCurveData).
    connect(seriesChoice_, &QComboBox::currentIndexChanged, this, &CompareView::readCurves);
    connect(axisChoice_, &QComboBox::currentIndexChanged, this, &CompareView::showCurves);
    connect(allKeys_, &QCheckBox::toggled, this, &CompareView::fillConfigTable);
    connect(groupBySeed_, &QCheckBox::toggled, this, [this] {
        bandChoice_->setEnabled(grouped());
        showCurves();
        fillMetricsTable();
    });
    connect(bandChoice_, &QComboBox::currentIndexChanged, this, &CompareView::showCurves);
    // A plot made wider than the columns its curves were thinned to reads them
    // again at the new width, once the resizing has settled.
    rethinTimer_.setSingleShot(true);
    rethinTimer_.setInterval(250);
    connect(&rethinTimer_, &QTimer::timeout, this, [this] {
        if (curveData_ && plotColumns() > curveColumns_)
            readCurves();
    });
    curves_->installEventFilter(this);
    reload();
}

QWidget *CompareView::buildToolbar()
{
    auto *bar = new QWidget;
    auto *layout = new QHBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    title_->setObjectName(QStringLiteral("compareTitle"));
    title_->setTextFormat(Qt::RichText);
    // The toolbar's minimum width is the window's (a tab's minimum counts even
    // when hidden): the title gives way, the combos size by a few characters.
    title_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    for (auto *combo : {seriesChoice_, bandChoice_})
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    bandChoice_->setMinimumContentsLength(12);
    seriesChoice_->setObjectName(QStringLiteral("compareSeries"));
    seriesChoice_->setToolTip(tr("The series drawn for every run."));
    seriesChoice_->setMinimumContentsLength(18);
    axisChoice_->setObjectName(QStringLiteral("compareAxis"));
    axisChoice_->addItem(tr("by step"), int(XAxis::Step));
    axisChoice_->addItem(tr("by tokens"), int(XAxis::Tokens));
    axisChoice_->addItem(tr("by wall time"), int(XAxis::WallTime));
    axisChoice_->setToolTip(
        tr("Align the curves by optimizer step, by training tokens seen, or by seconds since start."));
    groupBySeed_->setObjectName(QStringLiteral("compareGroupBySeed"));
    groupBySeed_->setToolTip(tr("Runs whose configs differ only in their seed as one mean curve with a band, "
                                "and their final and best values as mean ± 95 % CI."));
    groupBySeed_->setEnabled(false);
    bandChoice_->setObjectName(QStringLiteral("compareBand"));
    bandChoice_->addItem(tr("band: min–max"), int(Band::MinMax));
    bandChoice_->addItem(tr("band: 95 % CI of the mean"), int(Band::ConfidenceInterval));
    bandChoice_->setToolTip(tr("What the shaded band around a seed group's mean curve spans, step by step."));
    bandChoice_->setEnabled(false);
    auto *figure = new QPushButton(tr("Export figure…"));
    figure->setObjectName(QStringLiteral("compareExportFigure"));
    connect(figure, &QPushButton::clicked, this, &CompareView::exportFigure);
    auto *tables = new QPushButton(tr("Export tables…"));
    tables->setObjectName(QStringLiteral("compareExportTables"));
    tables->setToolTip(tr("Config diff, metrics, per-task evaluation and the curves as CSV files in a folder."));
    connect(tables, &QPushButton::clicked, this, &CompareView::exportTablesInteractively);
    layout->addWidget(title_, 1);
    layout->addWidget(seriesChoice_);
    layout->addWidget(axisChoice_);
    layout->addWidget(groupBySeed_);
    layout->addWidget(bandChoice_);
    layout->addWidget(figure);
    layout->addWidget(tables);
    return bar;
}

void CompareView::setStore(StoreWorker *store)
{
    store_ = store;
    routing_->setStore(store);
    reload();
}

bool CompareView::isLoading() const
{
    return pendingReads_ > 0 || routing_->isLoading();
}

void CompareView::finishRead()
{
    --pendingReads_;
    if (!isLoading())
        Q_EMIT loaded();
}

void CompareView::setRuns(const QVector<qint64> &runIds)
{
    runIds_ = runIds;
    reload();
}

void CompareView::setSeries(const QString &name)
{
    const int index = seriesChoice_->findText(name);
    if (index >= 0)
        seriesChoice_->setCurrentIndex(index);
}

void CompareView::setXAxis(XAxis axis)
{
    axisChoice_->setCurrentIndex(axisChoice_->findData(int(axis)));
}

QString CompareView::runLabel(int index) const
{
    return QStringLiteral("#%1 %2").arg(runIds_.at(index)).arg(runNames_.at(index));
}

void CompareView::setGroupBySeed(bool grouped)
{
    groupBySeed_->setChecked(grouped);
}

void CompareView::setBand(Band band)
{
    bandChoice_->setCurrentIndex(bandChoice_->findData(int(band)));
}

bool CompareView::hasSeedGroups() const
{
    return std::any_of(groups_.begin(), groups_.end(), [](const auto &group) { return group.runIds.size() >= 2; });
}

bool CompareView::grouped() const
{
    return groupBySeed_->isChecked() && hasSeedGroups();
}

int CompareView::runIndex(std::int64_t runId) const
{
    return int(runIds_.indexOf(qint64(runId)));
}

// "#3 lora-s1 +2 (n=3)": the group's first run stands for it.
QString CompareView::groupLabel(std::size_t group) const
{
    const auto &ids = groups_[group].runIds;
    const QString first = runLabel(runIndex(ids.front()));
    if (ids.size() == 1)
        return first;
    return tr("%1 +%2 (n=%3)").arg(first).arg(ids.size() - 1).arg(ids.size());
}

namespace {

// What one reload reads on the store thread.
struct CompareSnapshot
{
    lwb::storage::RunComparison comparison;
    std::vector<std::map<std::string, double>> lastExactMatch;
};

// Exact match per task at the run's last evaluation that has any.
std::map<std::string, double> lastExactMatch(lwb::storage::MetricReader &reader, std::int64_t runId)
{
    const auto evaluations = reader.evaluations(runId);
    std::int64_t last = -1;
    for (const auto &evaluation : evaluations)
        if (evaluation.metric == "exact_match")
            last = std::max(last, evaluation.step);
    std::map<std::string, double> byTask;
    for (const auto &evaluation : evaluations)
        if (evaluation.metric == "exact_match" && evaluation.step == last)
            byTask[evaluation.task] = evaluation.value;
    return byTask;
}

} // namespace

void CompareView::reload()
{
    const quint64 generation = ++reloadGeneration_;
    ++curveGeneration_; // curves of the old runs are of no use now
    curveData_.reset();
    comparison_ = {};
    groups_.clear();
    lastExactMatch_.clear();
    runNames_.clear();
    if (store_ == nullptr || store_->path().isEmpty() || runIds_.isEmpty()) {
        title_->setText(store_ == nullptr || store_->path().isEmpty()
                            ? tr("The run store is not open.")
                            : tr("Select two or more runs in the run browser and press Compare."));
        fillSeriesChoice();
        readCurves();
        fillConfigTable();
        fillMetricsTable();
        fillTaskEvaluation();
        fillRoutingChoice();
        return;
    }
    title_->setText(tr("Reading %n run(s)…", nullptr, int(runIds_.size())));
    ++pendingReads_;
    store_->run<CompareSnapshot>(
        this,
        [ids = std::vector<std::int64_t>(runIds_.begin(), runIds_.end())](lwb::storage::RunStore &store,
                                                                          const StoreTaskControl &) {
            CompareSnapshot snapshot;
            snapshot.comparison = lwb::storage::compareRuns(store, ids);
            lwb::storage::MetricReader reader(store);
            for (std::int64_t id : ids)
                snapshot.lastExactMatch.push_back(lastExactMatch(reader, id));
            return snapshot;
        },
        [this, generation](StoreOutcome<CompareSnapshot> outcome) {
            if (generation != reloadGeneration_) {
                finishRead();
                return;
            }
            if (outcome.value) {
                comparison_ = std::move(outcome.value->comparison);
                groups_ = lwb::storage::groupRunsBySeed(comparison_.runs);
                lastExactMatch_ = std::move(outcome.value->lastExactMatch);
                QStringList labels;
                for (int i = 0; i < runIds_.size(); ++i) {
                    runNames_ << QString::fromStdString(comparison_.runs[std::size_t(i)].name);
                    labels << QStringLiteral("<span style=\"color:%1\">■</span> %2")
                                  .arg(runColor(i).name(), runLabel(i).toHtmlEscaped());
                }
                title_->setText(labels.join(QStringLiteral(" &nbsp; ")));
            } else {
                runIds_.clear();
                title_->setText(tr("Cannot compare: %1").arg(outcome.error.toHtmlEscaped()));
            }
            groupBySeed_->setEnabled(hasSeedGroups());
            bandChoice_->setEnabled(grouped());
            fillSeriesChoice();
            readCurves();
            fillConfigTable();
            fillMetricsTable();
            fillTaskEvaluation();
            fillRoutingChoice();
            finishRead();
        });
}

void CompareView::fillRoutingChoice()
{
    // Mixture runs first: they are the ones with routing to show.
    const QSignalBlocker blocker(routingRun_);
    routingRun_->clear();
    for (int pass = 0; pass < 2; ++pass) {
        for (int i = 0; i < int(comparison_.runs.size()); ++i) {
            const bool mixture = lwb::reportsRouting(comparison_.runs[std::size_t(i)].variant);
            if (mixture == (pass == 0))
                routingRun_->addItem(runLabel(i), QVariant::fromValue<qint64>(runIds_[i]));
        }
    }
    routing_->showRun(routingRun_->count() > 0 ? routingRun_->currentData().toLongLong() : 0);
}

void CompareView::fillSeriesChoice()
{
    const QString current = seriesChoice_->currentText();
    const QSignalBlocker blocker(seriesChoice_);
    seriesChoice_->clear();
    for (const auto &name : comparison_.series)
        seriesChoice_->addItem(QString::fromStdString(name));
    int index = seriesChoice_->findText(current);
    if (index < 0)
        index = seriesChoice_->findText(QString::fromLatin1(series::kTrainLoss));
    seriesChoice_->setCurrentIndex(std::max(index, 0));
}

int CompareView::plotColumns() const
{
    const double pixels = double(curves_->axisRect()->width()) * curves_->devicePixelRatioF();
    return std::clamp(int(std::ceil(pixels)), kMinPlotColumns, kMaxPlotColumns);
}

bool CompareView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == curves_ && event->type() == QEvent::Resize && curveData_)
        rethinTimer_.start();
    return QWidget::eventFilter(watched, event);
}

// The store thread reads the series (and train/tokens) of every run and makes
// the curves of every axis and both band kinds, thinned to the plot's width;
// the GUI thread only shows them (showCurves).
void CompareView::readCurves()
{
    const quint64 generation = ++curveGeneration_;
    const QString name = seriesChoice_->currentText();
    if (store_ == nullptr || name.isEmpty() || comparison_.runs.empty()) {
        curveData_.reset();
        showCurves();
        return;
    }
    // The curves on show stay until the new ones arrive (a wider plot's re-read
    // does not blank it).
    std::vector<std::vector<std::size_t>> groups;
    if (hasSeedGroups())
        for (const auto &group : groups_) {
            std::vector<std::size_t> members;
            for (std::int64_t id : group.runIds)
                members.push_back(std::size_t(runIndex(id)));
            groups.push_back(std::move(members));
        }
    const int columns = plotColumns();
    ++pendingReads_;
    store_->run<CompareCurveData>(
        this,
        [ids = std::vector<std::int64_t>(runIds_.begin(), runIds_.end()), seriesName = name.toStdString(),
         groups = std::move(groups), columns](lwb::storage::RunStore &store, const StoreTaskControl &) {
            lwb::storage::MetricReader reader(store);
            lwb::storage::SeriesQuery query;
            query.maxPoints = kMaxPointsPerCurve;
            std::vector<RunSeriesPoints> runs;
            for (std::int64_t id : ids) {
                RunSeriesPoints run;
                run.points = reader.scalarSeries(id, seriesName, query);
                run.tokens = reader.scalarSeries(id, series::kTokens, query);
                runs.push_back(std::move(run));
            }
            return buildCompareCurves(runs, groups, columns);
        },
        [this, generation, name, columns](StoreOutcome<CompareCurveData> outcome) {
            if (generation == curveGeneration_) {
                curveData_ = std::move(outcome.value).value_or(CompareCurveData{});
                curveSeries_ = name;
                curveColumns_ = columns;
                showCurves();
            }
            finishRead();
        });
}

// Hands the curves of the chosen axis (or the bands of the chosen kind) to the
// plot: plain vector copies, then one queued replot.
void CompareView::showCurves()
{
    curves_->clearGraphs();
    const auto axis = XAxis(axisChoice_->currentData().toInt());
    if (curveData_) { // an empty plot keeps its labels (and so its height in the splitter)
        curves_->xAxis->setLabel(axis == XAxis::Step     ? tr("step")
                                 : axis == XAxis::Tokens ? tr("training tokens")
                                                         : tr("wall time (s)"));
        curves_->yAxis->setLabel(curveSeries_);
        const bool sparse = curveSeries_.startsWith(QLatin1String("eval/"));
        const CompareAxisCurves &shown = curveData_->axis(CompareAxis(int(axis)));
        const auto band = Band(bandChoice_->currentData().toInt());
        const auto &bands = band == Band::ConfidenceInterval ? shown.confidenceBands : shown.minMaxBands;
        if (grouped() && bands.size() == groups_.size()) {
            for (std::size_t g = 0; g < groups_.size(); ++g)
                addSeedBand(*curves_, bands[g], runColor(int(g)), groupLabel(g), sparse);
        } else {
            for (int i = 0; i < int(shown.runs.size()) && i < runIds_.size(); ++i) {
                QCPGraph *graph = curves_->addGraph();
                graph->setName(runLabel(i));
                graph->setPen(QPen(runColor(i), 1.6));
                if (sparse)
                    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
                graph->setData(shown.runs[std::size_t(i)].x, shown.runs[std::size_t(i)].y, true);
            }
        }
    }
    curves_->rescaleAxes();
    // Curves: one replot when the event loop next turns (several changes in a
    // row draw once). An empty plot replots now: it costs nothing, and the
    // splitter sizes the plot by the layout that replot makes.
    curves_->replot(curveData_ ? QCustomPlot::rpQueuedReplot : QCustomPlot::rpRefreshHint);
}

void CompareView::fillConfigTable()
{
    configTable_->clear();
    const int runs = int(comparison_.runs.size());
    QStringList header{tr("key")};
    for (int i = 0; i < runs; ++i)
        header << runLabel(i);
    configTable_->setColumnCount(runs + 1);
    configTable_->setHorizontalHeaderLabels(header);
    std::set<std::string> differing;
    for (const auto &difference : comparison_.configDifferences)
        differing.insert(difference.path);
    // All keys: every leaf of every config; otherwise the differing ones only.
    std::vector<std::map<std::string, std::string>> flat;
    for (const auto &run : comparison_.runs) {
        const auto document = nlohmann::json::parse(run.configJson, nullptr, false);
        flat.push_back(document.is_discarded() ? std::map<std::string, std::string>{}
                                               : lwb::storage::flattenJson(document));
    }
    std::set<std::string> paths = differing;
    if (allKeys_->isChecked()) {
        for (const auto &leaves : flat)
            for (const auto &leaf : leaves)
                paths.insert(leaf.first);
    }
    configTable_->setRowCount(int(paths.size()));
    int row = 0;
    for (const auto &path : paths) {
        const bool differs = differing.count(path) > 0;
        setCell(configTable_, row, 0, QString::fromStdString(path), differs);
        for (int i = 0; i < runs; ++i) {
            const auto found = flat[std::size_t(i)].find(path);
            setCell(configTable_, row, i + 1,
                    found == flat[std::size_t(i)].end() ? QStringLiteral("—") : QString::fromStdString(found->second),
                    differs);
        }
        ++row;
    }
    fitColumns(configTable_);
}

void CompareView::fillMetricsTable()
{
    metricsTable_->clear();
    if (grouped()) {
        fillGroupedMetricsTable();
        return;
    }
    const int runs = int(comparison_.runs.size());
    QStringList header{tr("series")};
    for (int i = 0; i < runs; ++i)
        header << tr("%1 final").arg(runLabel(i)) << tr("%1 best").arg(runLabel(i));
    metricsTable_->setColumnCount(1 + 2 * runs);
    metricsTable_->setHorizontalHeaderLabels(header);
    metricsTable_->setRowCount(int(comparison_.series.size()));
    for (std::size_t s = 0; s < comparison_.series.size(); ++s) {
        setCell(metricsTable_, int(s), 0, QString::fromStdString(comparison_.series[s]));
        for (int i = 0; i < runs; ++i) {
            const auto &summary = comparison_.finals[s][std::size_t(i)];
            setCell(metricsTable_, int(s), 1 + 2 * i, summary ? number(summary->latestValue) : QStringLiteral("—"));
            setCell(metricsTable_, int(s), 2 + 2 * i,
                    summary ? tr("%1 @ %2").arg(number(summary->bestValue)).arg(summary->bestStep)
                            : QStringLiteral("—"));
        }
    }
    fitColumns(metricsTable_);
}

namespace {

// "0.812 ± 0.031 (n=3)"; one run: its value and n=1 (no spread to estimate).
QString meanText(const std::vector<double> &values)
{
    if (values.empty())
        return QStringLiteral("—");
    const auto interval = lwb::storage::meanInterval(values);
    if (values.size() == 1)
        return QStringLiteral("%1 (n=1)").arg(number(interval.mean));
    return QStringLiteral("%1 ± %2 (n=%3)").arg(number(interval.mean), number(interval.halfWidth)).arg(values.size());
}

} // namespace

// One column pair per seed group: final and best value as mean ± the
// half-width of the 95 % t-interval, over the group's runs that have the series.
void CompareView::fillGroupedMetricsTable()
{
    QStringList header{tr("series")};
    for (std::size_t g = 0; g < groups_.size(); ++g)
        header << tr("%1 final").arg(groupLabel(g)) << tr("%1 best").arg(groupLabel(g));
    metricsTable_->setColumnCount(1 + 2 * int(groups_.size()));
    metricsTable_->setHorizontalHeaderLabels(header);
    metricsTable_->setRowCount(int(comparison_.series.size()));
    for (std::size_t s = 0; s < comparison_.series.size(); ++s) {
        setCell(metricsTable_, int(s), 0, QString::fromStdString(comparison_.series[s]));
        for (std::size_t g = 0; g < groups_.size(); ++g) {
            std::vector<double> finals;
            std::vector<double> bests;
            for (std::int64_t id : groups_[g].runIds) {
                const auto &summary = comparison_.finals[s][std::size_t(runIndex(id))];
                if (summary) {
                    finals.push_back(summary->latestValue);
                    bests.push_back(summary->bestValue);
                }
            }
            setCell(metricsTable_, int(s), 1 + 2 * int(g), meanText(finals));
            setCell(metricsTable_, int(s), 2 + 2 * int(g), meanText(bests));
        }
    }
    fitColumns(metricsTable_);
}

void CompareView::fillTaskEvaluation()
{
    taskBars_->clearPlottables();
    taskTable_->clear();
    const int runs = int(comparison_.runs.size());
    // Exact match per task at each run's last evaluation.
    std::vector<std::map<std::string, double>> byRun = lastExactMatch_;
    byRun.resize(static_cast<std::size_t>(runs));
    std::set<std::string> tasks;
    for (const auto &values : byRun)
        for (const auto &value : values)
            tasks.insert(value.first);
    const std::vector<std::string> taskList(tasks.begin(), tasks.end());
    QStringList header{tr("task")};
    for (int i = 0; i < runs; ++i)
        header << runLabel(i);
    taskTable_->setColumnCount(runs + 1);
    taskTable_->setHorizontalHeaderLabels(header);
    taskTable_->setRowCount(int(taskList.size()));

    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (std::size_t t = 0; t < taskList.size(); ++t) {
        ticker->addTick(double(t + 1), QString::fromStdString(taskList[t]));
        setCell(taskTable_, int(t), 0, QString::fromStdString(taskList[t]));
    }
    taskBars_->xAxis->setTicker(ticker);
    taskBars_->xAxis->setRange(0.3, double(taskList.size()) + 0.7);
    auto *group = new QCPBarsGroup(taskBars_); // owned by the plot
    const double width = 0.8 / std::max(runs, 1);
    for (int i = 0; i < runs; ++i) {
        auto *bars = new QCPBars(taskBars_->xAxis, taskBars_->yAxis);
        bars->setName(runLabel(i));
        bars->setWidth(width);
        bars->setPen(QPen(runColor(i).darker(120)));
        bars->setBrush(runColor(i));
        bars->setBarsGroup(group);
        for (std::size_t t = 0; t < taskList.size(); ++t) {
            const auto &values = byRun[std::size_t(i)];
            const auto found = values.find(taskList[t]);
            if (found != values.end())
                bars->addData(double(t + 1), found->second);
            setCell(taskTable_, int(t), i + 1, found != values.end() ? number(found->second) : QStringLiteral("—"));
        }
    }
    fitColumns(taskTable_);
    taskBars_->replot(QCustomPlot::rpQueuedReplot);
}

bool CompareView::exportTables(const QString &directory, QString *error)
{
    const QDir dir(directory);
    return writeTextFile(dir.filePath(QStringLiteral("compare_config.csv")), tableCsv(*configTable_), error)
           && writeTextFile(dir.filePath(QStringLiteral("compare_metrics.csv")), tableCsv(*metricsTable_), error)
           && writeTextFile(dir.filePath(QStringLiteral("compare_tasks.csv")), tableCsv(*taskTable_), error)
           && writeTextFile(dir.filePath(QStringLiteral("compare_curves.csv")), plotDataCsv(curves_), error);
}

void CompareView::exportFigure()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export figure"), QStringLiteral("compare.pdf"),
                                                      tr("PDF (*.pdf);;Images (*.png *.jpg)"));
    QString error;
    if (!path.isEmpty() && !savePlotImage(curves_, path, &error))
        QMessageBox::warning(this, tr("Export figure"), error);
}

void CompareView::exportTablesInteractively()
{
    const QString directory = QFileDialog::getExistingDirectory(this, tr("Export tables into"));
    if (directory.isEmpty())
        return;
    QString error;
    if (!exportTables(directory, &error))
        QMessageBox::warning(this, tr("Export tables"), error);
}

} // namespace lwb::ui
