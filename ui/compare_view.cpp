// See compare_view.h.
#include "ui/compare_view.h"

#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_store.h"
#include "ui/plot_export.h"
#include "ui/store_worker.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <map>

namespace lwb::ui {

namespace {

namespace series = lwb::storage::series;

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

CompareView::CompareView(QWidget *parent)
    : QWidget(parent)
    , title_(new QLabel)
    , seriesChoice_(new QComboBox)
    , axisChoice_(new QComboBox)
    , groupBySeed_(new QCheckBox(tr("Group by seed")))
    , bandChoice_(new QComboBox)
    , curves_(new CompareCurvesPanel)
    , tables_(new CompareTables)
{
    setObjectName(QStringLiteral("compareView"));
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(curves_);
    splitter->addWidget(tables_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(buildToolbar());
    layout->addWidget(splitter, 1);

    // A new series is a new read; the axis, the band and the grouping only
    // choose among the curves that read already made (CompareCurveData).
    connect(seriesChoice_, &QComboBox::currentIndexChanged, this,
            [this] { curves_->setSeries(seriesChoice_->currentText()); });
    connect(axisChoice_, &QComboBox::currentIndexChanged, this,
            [this] { curves_->setAxis(CompareAxis(axisChoice_->currentData().toInt())); });
    connect(groupBySeed_, &QCheckBox::toggled, this, &CompareView::showGrouping);
    connect(bandChoice_, &QComboBox::currentIndexChanged, this, &CompareView::showGrouping);
    connect(curves_, &CompareCurvesPanel::readsDone, this, [this] {
        if (!isLoading())
            Q_EMIT loaded();
    });
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
    curves_->setStore(store);
    tables_->setStore(store);
    reload();
}

bool CompareView::isLoading() const
{
    return pendingReads_ > 0 || curves_->isLoading() || tables_->isLoading();
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

void CompareView::showGrouping()
{
    bandChoice_->setEnabled(grouped());
    curves_->setBands(grouped(), Band(bandChoice_->currentData().toInt()) == Band::ConfidenceInterval);
    tables_->setGrouped(grouped());
}

// The runs as the curves and the tables label them; a group is named by its
// first run: "#3 lora-s1 +2 (n=3)".
ComparedRuns CompareView::comparedRuns() const
{
    ComparedRuns runs;
    runs.ids = runIds_;
    for (int i = 0; i < runNames_.size() && i < runIds_.size(); ++i)
        runs.labels << runLabel(i);
    for (const auto &group : groups_) {
        std::vector<std::size_t> members;
        for (std::int64_t id : group.runIds)
            members.push_back(std::size_t(runIndex(id)));
        const QString first = runLabel(int(members.front()));
        runs.groupLabels << (members.size() == 1
                                 ? first
                                 : tr("%1 +%2 (n=%3)").arg(first).arg(members.size() - 1).arg(members.size()));
        runs.groups.push_back(std::move(members));
    }
    return runs;
}

void CompareView::fillSeriesChoice()
{
    const QString current = seriesChoice_->currentText();
    const QSignalBlocker blocker(seriesChoice_);
    seriesChoice_->clear();
    for (const auto &name : series_)
        seriesChoice_->addItem(QString::fromStdString(name));
    int index = seriesChoice_->findText(current);
    if (index < 0)
        index = seriesChoice_->findText(QString::fromLatin1(series::kTrainLoss));
    seriesChoice_->setCurrentIndex(std::max(index, 0));
}

void CompareView::reload()
{
    const quint64 generation = ++reloadGeneration_;
    groups_.clear();
    series_.clear();
    runNames_.clear();
    if (store_ == nullptr || store_->path().isEmpty() || runIds_.isEmpty()) {
        title_->setText(store_ == nullptr || store_->path().isEmpty()
                            ? tr("The run store is not open.")
                            : tr("Select two or more runs in the run browser and press Compare."));
        fillSeriesChoice();
        curves_->showRuns({}, {});
        tables_->showComparison({}, {}, {});
        return;
    }
    title_->setText(tr("Reading %n run(s)…", nullptr, int(runIds_.size())));
    curves_->dropCurves(); // curves of the old runs are of no use now
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
            lwb::storage::RunComparison comparison;
            std::vector<std::map<std::string, double>> exactMatch;
            if (outcome.value) {
                comparison = std::move(outcome.value->comparison);
                exactMatch = std::move(outcome.value->lastExactMatch);
                groups_ = lwb::storage::groupRunsBySeed(comparison.runs);
                series_ = comparison.series;
                QStringList labels;
                for (int i = 0; i < runIds_.size(); ++i) {
                    runNames_ << QString::fromStdString(comparison.runs[std::size_t(i)].name);
                    labels << QStringLiteral("<span style=\"color:%1\">■</span> %2")
                                  .arg(compareColor(i).name(), runLabel(i).toHtmlEscaped());
                }
                title_->setText(labels.join(QStringLiteral(" &nbsp; ")));
            } else {
                runIds_.clear();
                title_->setText(tr("Cannot compare: %1").arg(outcome.error.toHtmlEscaped()));
            }
            groupBySeed_->setEnabled(hasSeedGroups());
            fillSeriesChoice();
            const ComparedRuns runs = comparedRuns();
            tables_->showComparison(runs, comparison, exactMatch);
            showGrouping();
            curves_->showRuns(runs, seriesChoice_->currentText());
            finishRead();
        });
}

bool CompareView::exportTables(const QString &directory, QString *error)
{
    const QDir dir(directory);
    return writeTextFile(dir.filePath(QStringLiteral("compare_config.csv")), tableCsv(*configTable()), error)
           && writeTextFile(dir.filePath(QStringLiteral("compare_metrics.csv")), tableCsv(*metricsTable()), error)
           && writeTextFile(dir.filePath(QStringLiteral("compare_tasks.csv")), tableCsv(*taskTable()), error)
           && writeTextFile(dir.filePath(QStringLiteral("compare_curves.csv")), plotDataCsv(curves()), error);
}

void CompareView::exportFigure()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export figure"), QStringLiteral("compare.pdf"),
                                                      tr("PDF (*.pdf);;Images (*.png *.jpg)"));
    QString error;
    if (!path.isEmpty() && !savePlotImage(curves(), path, &error))
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
