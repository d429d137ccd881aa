// See compare_tables.h.
#include "ui/compare_tables.h"

#include "engine/adapters/variant_traits.h"
#include "storage/config_diff.h"
#include "storage/run_statistics.h"
#include "ui/plot_export.h"
#include "ui/stored_routing_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QHeaderView>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace lwb::ui {

namespace {

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

CompareTables::CompareTables(QWidget *parent)
    : QTabWidget(parent)
    , allKeys_(new QCheckBox(tr("Show all keys")))
    , taskBars_(new QCustomPlot)
    , configTable_(makeTable(QStringLiteral("compareConfigTable")))
    , metricsTable_(makeTable(QStringLiteral("compareMetricsTable")))
    , taskTable_(makeTable(QStringLiteral("compareTaskTable")))
    , routingRun_(new QComboBox)
    , routing_(new StoredRoutingView)
{
    setObjectName(QStringLiteral("compareTabs"));
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
    addTab(configPage, tr("Config diff"));
    addTab(metricsTable_, tr("Final / best metrics"));
    addTab(taskPage, tr("Per-task evaluation"));
    auto *routingPage = new QWidget;
    auto *routingLayout = new QVBoxLayout(routingPage);
    routingLayout->setContentsMargins(0, 0, 0, 0);
    routingRun_->setObjectName(QStringLiteral("compareRoutingRun"));
    routingRun_->setToolTip(tr("The run whose stored routing is shown."));
    routingLayout->addWidget(routingRun_);
    routingLayout->addWidget(routing_, 1);
    addTab(routingPage, tr("Routing"));
    connect(routingRun_, &QComboBox::currentIndexChanged, this,
            [this] { routing_->showRun(routingRun_->currentData().toLongLong()); });
    connect(allKeys_, &QCheckBox::toggled, this, &CompareTables::fillConfigTable);
}

void CompareTables::setStore(StoreWorker *store)
{
    routing_->setStore(store);
}

bool CompareTables::isLoading() const
{
    return routing_->isLoading();
}

void CompareTables::showComparison(const ComparedRuns &runs, const lwb::storage::RunComparison &comparison,
                                   const std::vector<std::map<std::string, double>> &lastExactMatch)
{
    runs_ = runs;
    comparison_ = comparison;
    lastExactMatch_ = lastExactMatch;
    fillConfigTable();
    fillMetricsTable();
    fillTaskEvaluation();
    fillRoutingChoice();
}

void CompareTables::setGrouped(bool grouped)
{
    grouped_ = grouped;
    fillMetricsTable();
}

void CompareTables::fillRoutingChoice()
{
    // Mixture runs first: they are the ones with routing to show.
    const QSignalBlocker blocker(routingRun_);
    routingRun_->clear();
    for (int pass = 0; pass < 2; ++pass) {
        for (int i = 0; i < int(comparison_.runs.size()); ++i) {
            const bool mixture = lwb::reportsRouting(comparison_.runs[std::size_t(i)].variant);
            if (mixture == (pass == 0))
                routingRun_->addItem(runs_.labels.value(i), QVariant::fromValue<qint64>(runs_.ids.value(i)));
        }
    }
    routing_->showRun(routingRun_->count() > 0 ? routingRun_->currentData().toLongLong() : 0);
}

void CompareTables::fillConfigTable()
{
    configTable_->clear();
    const int runs = int(comparison_.runs.size());
    QStringList header{tr("key")};
    for (int i = 0; i < runs; ++i)
        header << runs_.labels.value(i);
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

void CompareTables::fillMetricsTable()
{
    metricsTable_->clear();
    if (grouped_ && runs_.hasSeedGroups()) {
        fillGroupedMetricsTable();
        return;
    }
    const int runs = int(comparison_.runs.size());
    QStringList header{tr("series")};
    for (int i = 0; i < runs; ++i)
        header << tr("%1 final").arg(runs_.labels.value(i)) << tr("%1 best").arg(runs_.labels.value(i));
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

// One column pair per seed group: final and best value as mean ± the
// half-width of the 95 % t-interval, over the group's runs that have the series.
void CompareTables::fillGroupedMetricsTable()
{
    const std::size_t groups = runs_.groups.size();
    QStringList header{tr("series")};
    for (std::size_t g = 0; g < groups; ++g)
        header << tr("%1 final").arg(runs_.groupLabels.value(int(g)))
               << tr("%1 best").arg(runs_.groupLabels.value(int(g)));
    metricsTable_->setColumnCount(1 + 2 * int(groups));
    metricsTable_->setHorizontalHeaderLabels(header);
    metricsTable_->setRowCount(int(comparison_.series.size()));
    for (std::size_t s = 0; s < comparison_.series.size(); ++s) {
        setCell(metricsTable_, int(s), 0, QString::fromStdString(comparison_.series[s]));
        for (std::size_t g = 0; g < groups; ++g) {
            std::vector<double> finals;
            std::vector<double> bests;
            for (const std::size_t run : runs_.groups[g]) {
                const auto &summary = comparison_.finals[s][run];
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

void CompareTables::fillTaskEvaluation()
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
        header << runs_.labels.value(i);
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
        bars->setName(runs_.labels.value(i));
        bars->setWidth(width);
        bars->setPen(QPen(compareColor(i).darker(120)));
        bars->setBrush(compareColor(i));
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

} // namespace lwb::ui
