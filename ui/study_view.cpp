// See study_view.h.
#include "ui/study_view.h"

#include "engine/config/study_spec.h"
#include "storage/run_store.h"
#include "storage/study_report.h"
#include "storage/study_store.h"
#include "ui/parallel_coordinates_plot.h"
#include "ui/plot_export.h"
#include "ui/store_worker.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>

namespace lwb::ui {

namespace {

using nlohmann::json;

// The cell whose settings include every path of the spec's "baseline" with its value.
int matchBaseline(const json &spec, const std::vector<std::string> &keys)
{
    const auto baseline = spec.find("baseline");
    if (baseline == spec.end() || !baseline->is_object())
        return -1;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto settings = studyCellSettings(keys[i]);
        bool matches = !settings.empty();
        for (const auto &[path, value] : baseline->items()) {
            const auto found
                = std::find_if(settings.begin(), settings.end(), [&](const auto &s) { return s.first == path; });
            matches = matches && found != settings.end() && found->second == value;
        }
        if (matches)
            return int(i);
    }
    return -1;
}

QString number(double value)
{
    return std::isfinite(value) ? QString::number(value, 'g', 5) : QStringLiteral("—");
}

QString signedNumber(double value)
{
    return (value >= 0 ? QStringLiteral("+") : QString()) + number(value);
}

void setCell(QTableWidget *table, int row, int column, const QString &text, bool bold = false)
{
    auto *item = new QTableWidgetItem(text);
    item->setToolTip(text);
    if (column != StudyView::SettingsColumn && column != StudyView::CellColumn)
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    if (bold) {
        QFont font = item->font();
        font.setBold(true);
        item->setFont(font);
    }
    table->setItem(row, column, item);
}

struct StudySnapshot
{
    std::vector<lwb::storage::StudyRecord> studies;
    StudyCells cells;
    std::optional<lwb::storage::StudySummary> summary;
};

} // namespace

StudyCells studyCells(const lwb::storage::StudyRecord &study, const std::vector<lwb::storage::StudyRunLink> &links)
{
    StudyCells cells;
    const json document = json::parse(study.specJson, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        cells.note = QObject::tr("The stored spec of study %1 is not a JSON object.").arg(study.id);
    } else {
        try {
            const StudySpec spec = parseStudySpec(document, "study " + std::to_string(study.id) + " (stored spec)", "");
            for (const auto &cell : spec.cells)
                cells.keys.push_back(cell.settingsKey());
            cells.baselineCell = spec.baselineCell;
            return cells;
        } catch (const std::exception &error) {
            cells.note = QObject::tr("The stored spec cannot be expanded again (%1); showing the cells recorded "
                                     "with the study's runs.")
                             .arg(QString::fromUtf8(error.what()));
        }
    }
    cells.fromRecordedRuns = true;
    std::map<std::size_t, std::string> recorded;
    for (const auto &link : links)
        recorded.emplace(link.cellIndex, link.cell);
    const std::size_t count = recorded.empty() ? 0 : recorded.rbegin()->first + 1;
    cells.keys.assign(count, std::string());
    for (const auto &[index, key] : recorded)
        cells.keys[index] = key;
    for (auto &key : cells.keys)
        if (key.empty())
            key = "[]"; // a cell with no recorded run: its settings are unknown
    if (document.is_object())
        cells.baselineCell = matchBaseline(document, cells.keys);
    return cells;
}

StudyView::StudyView(QWidget *parent)
    : QWidget(parent)
    , studyChoice_(new QComboBox)
    , baselineChoice_(new QComboBox)
    , axisChoice_(new QComboBox)
    , export_(new QPushButton(tr("Export report…")))
    , newStudy_(new QPushButton(tr("New study…")))
    , note_(new QLabel)
    , table_(new QTableWidget)
    , scatter_(new QCustomPlot)
    , parallel_(new ParallelCoordinatesPlot)
{
    setObjectName(QStringLiteral("studyView"));
    studyChoice_->setObjectName(QStringLiteral("studyChoice"));
    studyChoice_->setToolTip(tr("The recorded studies, newest first."));
    // Sized by a fixed number of characters, not by the longest study or
    // cell label: a tab's minimum width is the window's (every tab counts).
    for (auto *combo : {studyChoice_, baselineChoice_, axisChoice_})
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    studyChoice_->setMinimumContentsLength(20);
    baselineChoice_->setObjectName(QStringLiteral("studyBaseline"));
    baselineChoice_->setToolTip(tr("The cell every other cell is compared with, paired by seed."));
    baselineChoice_->setMinimumContentsLength(16);
    axisChoice_->setMinimumContentsLength(12);
    axisChoice_->setObjectName(QStringLiteral("studyAxis"));
    axisChoice_->setToolTip(tr("The numeric setting on the scatter's x axis."));
    newStudy_->setObjectName(QStringLiteral("newStudyButton"));
    newStudy_->setToolTip(tr("A grid or random search over config paths x seeds, trained through the job queue."));
    connect(newStudy_, &QPushButton::clicked, this, &StudyView::newStudyRequested);
    export_->setObjectName(QStringLiteral("studyExport"));
    export_->setToolTip(tr("A self-contained HTML report with its figures, and the CSV of every run and cell."));
    note_->setObjectName(QStringLiteral("studyNote"));
    note_->setWordWrap(true);

    table_->setObjectName(QStringLiteral("studyCells"));
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->verticalHeader()->hide();
    table_->setColumnCount(ColumnCount);
    table_->setHorizontalHeaderLabels({tr("cell"), tr("settings"), tr("n"), tr("mean"), tr("95 % CI"), tr("pending"),
                                       tr("failed"), tr("vs baseline"), tr("difference CI"), tr("p (paired t)")});
    table_->horizontalHeader()->setSectionResizeMode(SettingsColumn, QHeaderView::Stretch);
    scatter_->setObjectName(QStringLiteral("studyScatter"));
    scatter_->setMinimumHeight(200);
    scatter_->legend->setVisible(true);
    installPlotExportMenu(scatter_, QStringLiteral("study_scatter"));
    parallel_->setToolTip(tr("One axis per swept setting and the metric; one line per cell through its settings "
                             "and its mean (darker: better; dashed: no finished seed yet)."));
    installPlotExportMenu(parallel_, QStringLiteral("study_parallel_coordinates"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Study")));
    bar->addWidget(studyChoice_, 1);
    bar->addWidget(new QLabel(tr("Baseline")));
    bar->addWidget(baselineChoice_, 1);
    bar->addWidget(new QLabel(tr("Scatter x")));
    bar->addWidget(axisChoice_);
    bar->addWidget(export_);
    bar->addWidget(newStudy_);
    auto *plots = new QSplitter(Qt::Horizontal);
    plots->addWidget(parallel_);
    plots->addWidget(scatter_);
    plots->setStretchFactor(0, 3);
    plots->setStretchFactor(1, 2);
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(table_);
    splitter->addWidget(plots);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(note_);
    layout->addWidget(splitter, 1);

    connect(studyChoice_, &QComboBox::currentIndexChanged, this, [this] {
        studyId_ = studyChoice_->currentData().toLongLong();
        chosenBaseline_ = kSpecBaseline; // a newly shown study starts from its spec's baseline
        summarize();
    });
    connect(baselineChoice_, &QComboBox::activated, this,
            [this] { setBaselineCell(baselineChoice_->currentData().toInt()); });
    connect(axisChoice_, &QComboBox::currentIndexChanged, this, &StudyView::drawScatter);
    connect(export_, &QPushButton::clicked, this, &StudyView::exportInteractively);
    chosenBaseline_ = kSpecBaseline;
    reload();
}

void StudyView::setStore(StoreWorker *store)
{
    store_ = store;
    reload();
}

void StudyView::finishRead()
{
    if (--pendingReads_ == 0)
        Q_EMIT loaded();
}

void StudyView::showStudy(std::int64_t studyId)
{
    studyId_ = studyId;
    chosenBaseline_ = kSpecBaseline;
    reload();
}

void StudyView::setBaselineCell(int cellIndex)
{
    chosenBaseline_ = cellIndex;
    summarize();
}

void StudyView::reload()
{
    if (store_ == nullptr || store_->path().isEmpty()) {
        note_->setText(tr("The run store is not open."));
        return;
    }
    ++pendingReads_;
    store_->run<std::vector<lwb::storage::StudyRecord>>(
        this, [](lwb::storage::RunStore &store, const StoreTaskControl &) { return lwb::storage::listStudies(store); },
        [this](StoreOutcome<std::vector<lwb::storage::StudyRecord>> outcome) {
            const QSignalBlocker blocker(studyChoice_);
            studyChoice_->clear();
            for (const auto &study : outcome.value.value_or(std::vector<lwb::storage::StudyRecord>{}))
                studyChoice_->addItem(
                    QStringLiteral("#%1 %2 (%3)")
                        .arg(study.id)
                        .arg(QString::fromStdString(study.name), QString::fromStdString(study.metric)),
                    QVariant::fromValue<qint64>(study.id));
            int index = studyChoice_->findData(QVariant::fromValue<qint64>(studyId_));
            if (index < 0 && studyChoice_->count() > 0)
                index = 0;
            studyChoice_->setCurrentIndex(index);
            studyId_ = index >= 0 ? studyChoice_->itemData(index).toLongLong() : 0;
            if (!outcome.error.isEmpty())
                note_->setText(tr("Cannot list the studies: %1").arg(outcome.error));
            else if (studyId_ == 0)
                note_->setText(
                    tr("No study recorded yet: make one with New study…, or run `lorawb study STUDY.json`."));
            summarize();
            finishRead();
        });
}

void StudyView::summarize()
{
    const quint64 generation = ++generation_;
    if (store_ == nullptr || studyId_ == 0) {
        summary_ = {};
        cells_ = {};
        fillTable();
        fillAxisChoice();
        drawScatter();
        parallel_->setSummary(summary_);
        return;
    }
    ++pendingReads_;
    const int chosen = chosenBaseline_;
    using Result = std::pair<StudyCells, lwb::storage::StudySummary>;
    store_->run<Result>(
        this,
        [studyId = studyId_, chosen](lwb::storage::RunStore &store, const StoreTaskControl &) {
            const auto study = lwb::storage::findStudy(store, studyId);
            if (!study)
                throw std::runtime_error("study " + std::to_string(studyId) + " is not in the store any more");
            StudyCells cells = studyCells(*study, lwb::storage::studyRuns(store, studyId));
            const int baseline = chosen == kSpecBaseline ? cells.baselineCell : chosen;
            auto summary = lwb::storage::summarizeStudy(store, *study, cells.keys, baseline);
            return Result{std::move(cells), std::move(summary)};
        },
        [this, generation](StoreOutcome<Result> outcome) {
            if (generation == generation_) {
                if (outcome.value) {
                    cells_ = std::move(outcome.value->first);
                    summary_ = std::move(outcome.value->second);
                    note_->setText(cells_.note);
                } else {
                    cells_ = {};
                    summary_ = {};
                    note_->setText(tr("Cannot summarise the study: %1").arg(outcome.error));
                }
                fillTable();
                fillAxisChoice();
                drawScatter();
                parallel_->setSummary(summary_);
            }
            finishRead();
        });
}

void StudyView::fillTable()
{
    {
        const QSignalBlocker blocker(baselineChoice_);
        baselineChoice_->clear();
        baselineChoice_->addItem(tr("(none)"), -1);
        for (const auto &cell : summary_.cells)
            baselineChoice_->addItem(QStringLiteral("c%1 %2")
                                         .arg(cell.cellIndex)
                                         .arg(QString::fromStdString(lwb::storage::studyCellLabel(cell.cell))),
                                     int(cell.cellIndex));
        baselineChoice_->setCurrentIndex(std::max(0, baselineChoice_->findData(summary_.baselineCell)));
    }
    table_->setRowCount(int(summary_.cells.size()));
    for (const auto &cell : summary_.cells) {
        const int row = int(cell.cellIndex);
        const bool baseline = int(cell.cellIndex) == summary_.baselineCell;
        const auto &interval = cell.interval;
        setCell(table_, row, CellColumn, QStringLiteral("c%1").arg(cell.cellIndex), baseline);
        setCell(table_, row, SettingsColumn,
                QString::fromStdString(lwb::storage::studyCellLabel(cell.cell))
                    + (baseline ? tr(" (baseline)") : QString()),
                baseline);
        setCell(table_, row, CountColumn, QString::number(interval.count));
        setCell(table_, row, MeanColumn, interval.count > 0 ? number(interval.mean) : QStringLiteral("—"));
        setCell(table_, row, IntervalColumn,
                interval.count >= 2 ? QStringLiteral("[%1, %2]").arg(number(interval.low), number(interval.high))
                                    : QStringLiteral("—"));
        setCell(table_, row, PendingColumn, QString::number(cell.pendingRuns));
        setCell(table_, row, FailedColumn, QString::number(cell.failedRuns));
        const auto &test = cell.vsBaseline;
        setCell(table_, row, DifferenceColumn, test ? signedNumber(test->meanDifference) : QStringLiteral("—"));
        setCell(table_, row, DifferenceIntervalColumn,
                test ? QStringLiteral("[%1, %2]").arg(number(test->low), number(test->high)) : QStringLiteral("—"));
        setCell(table_, row, PValueColumn,
                test ? tr("%1 (%2 seeds)").arg(QString::number(test->pValue, 'g', 3)).arg(test->pairs)
                     : QStringLiteral("—"));
    }
    table_->resizeColumnsToContents();
    table_->horizontalHeader()->setSectionResizeMode(SettingsColumn, QHeaderView::Stretch);
}

void StudyView::fillAxisChoice()
{
    // Paths whose value is a number in every cell that sets them.
    std::vector<std::string> order;
    std::set<std::string> numeric;
    std::set<std::string> other;
    for (const auto &cell : summary_.cells)
        for (const auto &[path, value] : studyCellSettings(cell.cell)) {
            if (std::find(order.begin(), order.end(), path) == order.end())
                order.push_back(path);
            (value.is_number() ? numeric : other).insert(path);
        }
    const QString current = axisChoice_->currentText();
    const QSignalBlocker blocker(axisChoice_);
    axisChoice_->clear();
    for (const auto &path : order)
        if (numeric.count(path) && !other.count(path))
            axisChoice_->addItem(QString::fromStdString(path));
    axisChoice_->setCurrentIndex(std::max(0, axisChoice_->findText(current)));
    axisChoice_->setEnabled(axisChoice_->count() > 0);
}

void StudyView::drawScatter()
{
    scatter_->clearPlottables();
    const std::string axis = axisChoice_->currentText().toStdString();
    scatter_->xAxis->setLabel(QString::fromStdString(axis));
    scatter_->yAxis->setLabel(QString::fromStdString(summary_.metric));
    if (axis.empty()) {
        scatter_->replot();
        return;
    }
    QVector<double> seedX, seedY, meanX, meanY, halfWidth;
    for (const auto &cell : summary_.cells) {
        const auto settings = studyCellSettings(cell.cell);
        const auto found
            = std::find_if(settings.begin(), settings.end(), [&](const auto &s) { return s.first == axis; });
        if (found == settings.end() || !found->second.is_number())
            continue;
        const double x = found->second.get<double>();
        for (double value : cell.values) {
            seedX << x;
            seedY << value;
        }
        if (cell.interval.count > 0) {
            meanX << x;
            meanY << cell.interval.mean;
            halfWidth << (std::isfinite(cell.interval.halfWidth) ? cell.interval.halfWidth : 0.0);
        }
    }
    QCPGraph *seeds = scatter_->addGraph();
    seeds->setName(tr("one seed"));
    seeds->setLineStyle(QCPGraph::lsNone);
    seeds->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QColor(31, 119, 180, 150), 6));
    seeds->setData(seedX, seedY);
    QCPGraph *means = scatter_->addGraph();
    means->setName(tr("cell mean ± 95 % CI"));
    means->setLineStyle(QCPGraph::lsNone);
    means->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(QColor(214, 39, 40), 2), QBrush(), 11));
    means->setData(meanX, meanY);
    auto *bars = new QCPErrorBars(scatter_->xAxis, scatter_->yAxis);
    bars->removeFromLegend();
    bars->setDataPlottable(means);
    bars->setPen(QPen(QColor(214, 39, 40), 1.5));
    bars->setData(halfWidth);
    scatter_->rescaleAxes();
    // Room around the points, and the error bars inside the plot.
    QCPRange x = scatter_->xAxis->range();
    const double padX = x.size() > 0 ? x.size() * 0.08 : std::max(1.0, std::abs(x.center()) * 0.1);
    scatter_->xAxis->setRange(x.lower - padX, x.upper + padX);
    double low = scatter_->yAxis->range().lower, high = scatter_->yAxis->range().upper;
    for (int i = 0; i < meanY.size(); ++i) {
        low = std::min(low, meanY[i] - halfWidth[i]);
        high = std::max(high, meanY[i] + halfWidth[i]);
    }
    const double padY = high > low ? (high - low) * 0.08 : 0.1;
    scatter_->yAxis->setRange(low - padY, high + padY);
    if (axis.find("lr") != std::string::npos && !meanX.isEmpty() && x.lower > 0)
        scatter_->xAxis->setScaleType(QCPAxis::stLogarithmic);
    else
        scatter_->xAxis->setScaleType(QCPAxis::stLinear);
    scatter_->replot();
}

void StudyView::exportReport(const QString &htmlPath, const QString &csvPath)
{
    if (store_ == nullptr || summary_.study.id == 0) {
        Q_EMIT reportExported(tr("No study is shown."));
        return;
    }
    ++pendingReads_;
    store_->run<bool>(
        this,
        [summary = summary_, html = htmlPath.toStdString(), csv = csvPath.toStdString()](lwb::storage::RunStore &,
                                                                                         const StoreTaskControl &) {
            lwb::storage::writeStudyHtml(summary, html);
            lwb::storage::writeStudyCsv(summary, csv);
            return true;
        },
        [this](StoreOutcome<bool> outcome) {
            Q_EMIT reportExported(outcome.error);
            finishRead();
        });
}

void StudyView::exportInteractively()
{
    const QString stem = QString::fromStdString(summary_.study.name.empty() ? "study" : summary_.study.name);
    const QString html = QFileDialog::getSaveFileName(this, tr("Export study report"), stem + QStringLiteral(".html"),
                                                      tr("HTML (*.html)"));
    if (html.isEmpty())
        return;
    const QFileInfo info(html);
    const QString csv = info.dir().filePath(info.completeBaseName() + QStringLiteral(".csv"));
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(this, &StudyView::reportExported, this, [this, connection, html, csv](const QString &error) {
        disconnect(*connection);
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Export study report"), error);
        else
            note_->setText(tr("Report written: %1 and %2").arg(html, csv));
    });
    exportReport(html, csv);
}

} // namespace lwb::ui
