// See dlp_view.h.
#include "ui/dlp_view.h"

#include "engine/adapters/variant_traits.h"
#include "storage/dlp_study_reader.h"
#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_store.h"
#include "ui/plot_export.h"
#include "ui/plot_parts.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace lwb::ui {

namespace {

QString stageTitle(const lwb::DlpStudyProgress &progress)
{
    const QString detail = QString::fromStdString(progress.detail);
    if (progress.stage == "task lora")
        return DlpView::tr("Task LoRA: %1").arg(detail);
    if (progress.stage == "multi-task lora")
        return DlpView::tr("Multi-task LoRA (%1)").arg(detail);
    if (progress.stage == "plugin")
        return DlpView::tr("Plugin (epochs)");
    if (progress.stage == "evaluation")
        return DlpView::tr("Routed evaluation (%1)").arg(detail);
    return QString::fromStdString(progress.stage + " " + progress.detail);
}

QString percent(const std::map<std::string, double> &scores, const std::string &task)
{
    const auto found = scores.find(task);
    return found == scores.end() ? QStringLiteral("–") : QLocale().toString(100.0 * found->second, 'f', 1);
}

QTableWidget *readOnlyTable(const QString &name, const QStringList &headers)
{
    auto *table = new QTableWidget(0, static_cast<int>(headers.size()));
    table->setObjectName(name);
    table->setHorizontalHeaderLabels(headers);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->setVisible(false);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    return table;
}

void setCell(QTableWidget *table, int row, int column, const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    if (column > 0)
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    table->setItem(row, column, item);
}

} // namespace

DlpView::DlpView(QWidget *parent)
    : QWidget(parent)
    , heading_(new QLabel)
    , stages_(readOnlyTable(QStringLiteral("dlpStages"), {tr("Stage"), tr("Progress"), tr("Loss")}))
    , results_(readOnlyTable(QStringLiteral("dlpResults"),
                             {tr("Task"), tr("Own LoRA"), tr("Fusion"), tr("Oracle"), tr("Multi-task")}))
    , summary_(new QLabel)
    , selectionPlot_(new QCustomPlot)
    , confusionPlot_(new QCustomPlot)
    , selectionMatrixPlot_(new QCustomPlot)
    , askInPlayground_(new QPushButton(tr("Ask in the Playground")))
{
    setObjectName(QStringLiteral("dlpView"));
    heading_->setObjectName(QStringLiteral("dlpHeading"));
    heading_->setWordWrap(true);
    summary_->setObjectName(QStringLiteral("dlpPluginSummary"));
    summary_->setWordWrap(true);
    // Own LoRA comes from each task run's final evaluation (DlpStudy::trainTaskLora),
    // the other columns from the study's own held-out pass: say so, since the
    // two example sets need not be the same and the columns can differ.
    results_->setToolTip(tr("Exact match (%). Own LoRA: each task's LoRA in the final evaluation of its own training "
                            "run (that run's evaluation examples). Fusion, Oracle and Multi-task are measured on the "
                            "study's held-out examples. Fusion: the plugin picks and weights the LoRAs per input. "
                            "Oracle: the true task's LoRA alone in the same fused model. Multi-task: one LoRA of the "
                            "library's total rank trained on all the tasks."));

    selectionPlot_->setObjectName(QStringLiteral("dlpSelectionPlot"));
    addPlotTitle(selectionPlot_, tr("Selections per task LoRA"));
    selectionBars_ = new QCPBars(selectionPlot_->xAxis, selectionPlot_->yAxis);
    selectionBars_->setWidth(0.6);
    selectionPlot_->yAxis->setLabel(tr("times selected"));
    selectionPlot_->xAxis->setTickLabelFont(QFont(font().family(), 7)); // task names side by side
    installPlotExportMenu(selectionPlot_, QStringLiteral("dlp_selections"));

    confusionPlot_->setObjectName(QStringLiteral("dlpConfusionPlot"));
    confusionMap_ = addHeatmap(confusionPlot_, tr("Plugin confusion (held-out prompts)"), tr("prompts"));
    installPlotExportMenu(confusionPlot_, QStringLiteral("dlp_confusion"));
    selectionMatrixPlot_->setObjectName(QStringLiteral("dlpSelectionMatrixPlot"));
    selectionMatrixMap_ = addHeatmap(selectionMatrixPlot_, tr("LoRAs selected per task (evaluation)"), tr("times"));
    installPlotExportMenu(selectionMatrixPlot_, QStringLiteral("dlp_selection_matrix"));
    for (auto *plot : {selectionPlot_, confusionPlot_, selectionMatrixPlot_})
        plot->setMinimumSize(220, 150);

    // Tables above (stages beside the result), the three plots below; the
    // splitter lets the user trade one for the other.
    const auto titled = [](const QString &title, QWidget *content, QWidget *below = nullptr) {
        auto *box = new QWidget;
        auto *column = new QVBoxLayout(box);
        column->setContentsMargins(0, 0, 0, 0);
        column->addWidget(new QLabel(title));
        column->addWidget(content, 1);
        if (below)
            column->addWidget(below);
        return box;
    };
    auto *tables = new QSplitter(Qt::Horizontal);
    tables->addWidget(titled(tr("<b>Stages</b>"), stages_));
    tables->addWidget(titled(tr("<b>Exact match (%)</b>"), results_, summary_));
    auto *plots = new QSplitter(Qt::Horizontal);
    for (auto *plot : {selectionPlot_, confusionPlot_, selectionMatrixPlot_})
        plots->addWidget(plot);
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(tables);
    split->addWidget(plots);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);

    askInPlayground_->setObjectName(QStringLiteral("dlpAskInPlayground"));
    askInPlayground_->setToolTip(tr("Prompt the finished study in the Playground tab: the plugin picks and fuses "
                                    "task LoRAs per prompt, the answer streams token by token with the fused LoRAs' "
                                    "weights beside it (and another run side by side if you like)."));
    auto *top = new QHBoxLayout;
    top->addWidget(heading_, 1);
    top->addWidget(askInPlayground_, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(askInPlayground_, &QPushButton::clicked, this, [this] {
        if (canAnswer())
            Q_EMIT playgroundRequested(runId_);
    });
    clear(tr("No DLP-LoRA study yet. Choose the variant \"dlp\" in the run form and press Start, or select a "
             "recorded study in the Runs dock and choose Open study."));
}

DlpView::~DlpView() = default;

void DlpView::clear(const QString &heading)
{
    heading_->setText(heading);
    stages_->setRowCount(0);
    results_->setRowCount(0);
    summary_->clear();
    liveCounts_.clear();
    tasks_.clear();
    finished_ = false;
    drawSelectionCounts({});
    drawMatrix(confusionPlot_, confusionMap_, {}, tr("Plugin confusion (held-out prompts)"));
    drawMatrix(selectionMatrixPlot_, selectionMatrixMap_, {}, tr("LoRAs selected per task (evaluation)"));
    updateInference();
}

void DlpView::startStudy(const lwb::RunConfig &config)
{
    study_ = config;
    runId_ = 0;
    clear(tr("Study \"%1\" running: the task LoRAs train first, then the multi-task LoRA, the plugin and the "
             "routed evaluation.")
              .arg(QString::fromStdString(config.name)));
    for (const auto &entry : lwb::effectiveLibrary(config.adapter.dlp, config.data.tasks))
        tasks_ << QString::fromStdString(entry.task);
}

void DlpView::setRunId(qint64 runId)
{
    runId_ = runId;
    updateInference();
}

int DlpView::stageRow(const lwb::DlpStudyProgress &progress)
{
    const QString title = stageTitle(progress);
    for (int row = 0; row < stages_->rowCount(); ++row) {
        if (stages_->item(row, 0)->text() == title)
            return row;
    }
    const int row = stages_->rowCount();
    stages_->insertRow(row);
    setCell(stages_, row, 0, title);
    return row;
}

void DlpView::addProgress(const lwb::DlpStudyProgress &progress)
{
    const int row = stageRow(progress);
    setCell(stages_, row, 1, tr("%1 / %2").arg(progress.done).arg(progress.total));
    setCell(stages_, row, 2, progress.stage == "evaluation" ? QString() : QLocale().toString(progress.loss, 'f', 4));
    stages_->scrollToItem(stages_->item(row, 0));
    if (!progress.selectionCounts.empty()) {
        liveCounts_ = progress.selectionCounts;
        drawSelectionCounts(std::vector<double>(liveCounts_.begin(), liveCounts_.end()));
    }
}

void DlpView::addEvaluation(const lwb::EvalMetrics &metrics)
{
    if (!metrics.dlp)
        return;
    const auto &dlp = *metrics.dlp;
    tasks_.clear();
    for (const auto &task : dlp.tasks)
        tasks_ << QString::fromStdString(task);
    results_->setRowCount(static_cast<int>(dlp.tasks.size()));
    for (int row = 0; row < results_->rowCount(); ++row) {
        const auto &task = dlp.tasks[static_cast<std::size_t>(row)];
        setCell(results_, row, 0, QString::fromStdString(task));
        setCell(results_, row, 1, percent(dlp.ownExactMatch, task));
        setCell(results_, row, 2, percent(metrics.exactMatchByTask, task));
        setCell(results_, row, 3, percent(dlp.oracleExactMatch, task));
        setCell(results_, row, 4, percent(dlp.multiTaskExactMatch, task));
    }
    const QLocale locale;
    summary_->setText(tr("Plugin: %1 % held-out accuracy on %2 prompts, %3 parameters. %4 LoRAs fused per routing "
                         "decision on average. Multi-task LoRA: rank %5 (the library's total).")
                          .arg(locale.toString(100.0 * dlp.pluginAccuracy, 'f', 2))
                          .arg(dlp.pluginExamples)
                          .arg(locale.toString(static_cast<double>(dlp.pluginParameters), 'f', 0))
                          .arg(locale.toString(dlp.meanSelected, 'f', 2))
                          .arg(dlp.multiTaskRank));
    // Every routing decision's selections, as the live counts showed them.
    drawSelectionCounts(dlp.selectionCounts);
    drawMatrix(confusionPlot_, confusionMap_, dlp.pluginConfusion, tr("Plugin confusion (held-out prompts)"));
    drawMatrix(selectionMatrixPlot_, selectionMatrixMap_, dlp.selections, tr("LoRAs selected per task (evaluation)"));
}

void DlpView::studyFinished(lwb::RunOutcome outcome)
{
    finished_ = outcome == lwb::RunOutcome::Finished;
    const QString name = study_ ? QString::fromStdString(study_->name) : QString();
    if (finished_)
        heading_->setText(tr("Study \"%1\" finished%2. Ask it in the Playground.")
                              .arg(name, runId_ > 0 ? tr(" (run #%1)").arg(runId_) : QString()));
    else
        heading_->setText(
            tr("Study \"%1\" %2: nothing to ask.").arg(name, QString::fromLatin1(lwb::toString(outcome))));
    updateInference();
}

bool DlpView::showStoredStudy(lwb::storage::RunStore &store, qint64 runId)
{
    study_.reset();
    try {
        const auto record = store.run(runId);
        if (!lwb::isStudyVariant(record.variant)) {
            clear(tr("Run #%1 is a %2 run, not a DLP-LoRA study.")
                      .arg(runId)
                      .arg(QString::fromStdString(record.variant)));
            return false;
        }
        auto config = lwb::parseRunConfig(nlohmann::json::parse(record.configJson), "run #" + std::to_string(runId));
        const auto evaluation = lwb::storage::readDlpStudyEvaluation(store, runId);
        if (!evaluation) {
            clear(tr("Study #%1 (%2) has no evaluation: it did not finish.")
                      .arg(runId)
                      .arg(QString::fromLatin1(lwb::storage::toString(record.status))));
            return false;
        }
        startStudy(config);
        runId_ = runId;
        showStoredTrainings(store, runId);
        addEvaluation(*evaluation);
        finished_ = true;
        heading_->setText(
            tr("Recorded study #%1 \"%2\"; the Playground reads its LoRAs and plugin from %3 when you ask.")
                .arg(runId)
                .arg(QString::fromStdString(record.name), QString::fromStdString(config.training.outputDir)));
        updateInference();
        return true;
    } catch (const std::exception &error) {
        clear(tr("Cannot show run #%1: %2").arg(runId).arg(QString::fromUtf8(error.what())));
        return false;
    }
}

void DlpView::showStoredTrainings(lwb::storage::RunStore &store, qint64 studyId)
{
    // The study's trainings are its child runs, oldest first.
    auto runs = store.listRuns();
    std::sort(runs.begin(), runs.end(), [](const auto &a, const auto &b) { return a.id < b.id; });
    lwb::storage::MetricReader reader(store);
    for (const auto &run : runs) {
        if (run.parentRunId != studyId)
            continue;
        const int row = stages_->rowCount();
        stages_->insertRow(row);
        setCell(stages_, row, 0, tr("Run #%1 %2").arg(run.id).arg(QString::fromStdString(run.name)));
        const auto loss = reader.summary(run.id, lwb::storage::series::kTrainLoss);
        setCell(stages_, row, 1, tr("%1 / %2").arg(loss ? loss->latestStep : 0).arg(run.totalSteps));
        setCell(stages_, row, 2, loss ? QLocale().toString(loss->latestValue, 'f', 4) : QString());
    }
}

void DlpView::drawSelectionCounts(const std::vector<double> &counts)
{
    QVector<double> keys;
    QVector<double> values;
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        keys << static_cast<double>(i);
        values << counts[i];
        ticks->addTick(static_cast<double>(i),
                       i < static_cast<std::size_t>(tasks_.size()) ? tasks_[static_cast<int>(i)] : QString::number(i));
    }
    selectionBars_->setData(keys, values, true);
    selectionPlot_->xAxis->setTicker(ticks);
    selectionPlot_->xAxis->setRange(-0.5, std::max<double>(1.0, static_cast<double>(counts.size())) - 0.5);
    const double top = counts.empty() ? 1.0 : *std::max_element(counts.begin(), counts.end());
    selectionPlot_->yAxis->setRange(0, std::max(1.0, top * 1.1));
    selectionPlot_->replot(QCustomPlot::rpQueuedReplot);
}

void DlpView::drawMatrix(QCustomPlot *plot, QCPColorMap *map, const std::vector<std::vector<double>> &rows,
                         const QString &title)
{
    const int columns = static_cast<int>(tasks_.size());
    setHeatmapShape(plot, map, tasks_, columns);
    setHeatmapColumns(plot, tasks_, plot == confusionPlot_ ? tr("predicted task") : tr("task LoRA"));
    map->data()->fill(0.0);
    for (int row = 0; row < static_cast<int>(rows.size()) && row < tasks_.size(); ++row)
        for (int column = 0; column < columns && column < static_cast<int>(rows[row].size()); ++column)
            map->data()->setCell(column, row, rows[row][column]);
    map->rescaleDataRange(true);
    if (auto *heading = qobject_cast<QCPTextElement *>(plot->plotLayout()->element(0, 0)))
        heading->setText(title);
    plot->setVisible(!rows.empty());
    plot->replot(QCustomPlot::rpQueuedReplot);
}

void DlpView::updateInference()
{
    askInPlayground_->setEnabled(canAnswer());
}

} // namespace lwb::ui
