// See run_browser.h.
#include "ui/run_browser.h"

#include "engine/adapters/variant_traits.h"
#include "storage/run_store.h"
#include "ui/run_table_model.h"
#include "ui/store_worker.h"

#include <QAction>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace lwb::ui {

namespace {

using lwb::storage::RunStatus;

constexpr int kTextFilterDelayMs = 250;
constexpr int kFitColumnsUpToRows = 500; // fitting reads every row; beyond this the widths stay

QStringList splitTags(const QString &text)
{
    QStringList tags;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString tag = part.trimmed();
        if (!tag.isEmpty() && !tags.contains(tag))
            tags << tag;
    }
    return tags;
}

std::vector<std::string> toStd(const QStringList &list)
{
    std::vector<std::string> out;
    for (const QString &item : list)
        out.push_back(item.toStdString());
    return out;
}

// Keeps the current choice of a filter combo while its items are replaced.
void refillCombo(QComboBox *combo, const QString &allText, const std::vector<std::string> &items)
{
    const QString current = combo->currentData().toString();
    const QSignalBlocker blocker(combo);
    combo->clear();
    combo->addItem(allText, QString());
    for (const auto &item : items)
        combo->addItem(QString::fromStdString(item), QString::fromStdString(item));
    const int index = combo->findData(current);
    combo->setCurrentIndex(index < 0 ? 0 : index);
}

} // namespace

RunBrowser::RunBrowser(QWidget *parent)
    : QWidget(parent)
    , model_(new RunTableModel(this))
    , proxy_(new QSortFilterProxyModel(this))
    , table_(new QTableView)
    , textFilter_(new QLineEdit)
    , statusFilter_(new QComboBox)
    , variantFilter_(new QComboBox)
    , tagFilter_(new QComboBox)
    , countLabel_(new QLabel)
    , detailsTitle_(new QLabel)
    , tagsEdit_(new QLineEdit)
    , notesEdit_(new QPlainTextEdit)
    , saveDetails_(new QPushButton(tr("Save tags and notes")))
    , compare_(new QPushButton(tr("Compare")))
    , compareGroup_(new QPushButton(tr("Compare group")))
    , clone_(new QPushButton(tr("Clone config")))
    , rerun_(new QPushButton(tr("Re-run")))
    , delete_(new QPushButton(tr("Delete…")))
    , export_(new QPushButton(tr("Export…")))
    , openStudy_(new QPushButton(tr("Open study")))
    , problem_(new QLabel)
    , taskRow_(new QWidget)
    , taskLabel_(new QLabel)
    , taskProgress_(new QProgressBar)
    , cancelTask_(new QPushButton(tr("Cancel")))
{
    setObjectName(QStringLiteral("runBrowser"));
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(RunTableModel::kSortRole);
    table_->setObjectName(QStringLiteral("runTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(RunTableModel::IdColumn, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setWordWrap(false);

    auto *bar = new QWidget;
    buildFilters(bar);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(table_);
    splitter->addWidget(buildDetails());
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);

    problem_->setObjectName(QStringLiteral("runBrowserProblem"));
    problem_->setWordWrap(true);
    problem_->hide();

    // A delete's progress (runs done of runs asked) and its Cancel.
    taskRow_->setObjectName(QStringLiteral("runTaskRow"));
    taskProgress_->setObjectName(QStringLiteral("runTaskProgress"));
    cancelTask_->setObjectName(QStringLiteral("cancelRunTaskButton"));
    cancelTask_->setToolTip(tr("Stop after the run being deleted now; the runs done so far stay deleted."));
    auto *taskLayout = new QHBoxLayout(taskRow_);
    taskLayout->setContentsMargins(0, 0, 0, 0);
    taskLayout->addWidget(taskLabel_);
    taskLayout->addWidget(taskProgress_, 1);
    taskLayout->addWidget(cancelTask_);
    taskRow_->hide();
    connect(cancelTask_, &QPushButton::clicked, this, [this] {
        if (task_)
            task_->cancel();
        cancelTask_->setEnabled(false);
    });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(bar);
    layout->addWidget(problem_);
    layout->addWidget(taskRow_);
    layout->addWidget(splitter, 1);

    textDelay_.setSingleShot(true);
    textDelay_.setInterval(kTextFilterDelayMs);
    connect(&textDelay_, &QTimer::timeout, this, &RunBrowser::refresh);
    connect(textFilter_, &QLineEdit::textChanged, this, [this] { textDelay_.start(); });
    for (QComboBox *combo : {statusFilter_, variantFilter_, tagFilter_})
        connect(combo, &QComboBox::currentIndexChanged, this, &RunBrowser::refresh);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunBrowser::showSelection);
    connect(table_, &QTableView::doubleClicked, this, [this] {
        if (selectedIsStudy())
            Q_EMIT studyRequested(selectedRunIds().front());
        else if (selectedRunIds().size() == 1)
            Q_EMIT compareRequested(selectedRunIds());
    });
    connect(openStudy_, &QPushButton::clicked, this, [this] {
        if (selectedIsStudy())
            Q_EMIT studyRequested(selectedRunIds().front());
    });
    // The table's context menu: one selected run, or two side by side, in the playground.
    playgroundAction_ = new QAction(tr("Open in playground"), table_);
    playgroundAction_->setObjectName(QStringLiteral("openInPlaygroundAction"));
    table_->addAction(playgroundAction_);
    table_->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(playgroundAction_, &QAction::triggered, this, [this] {
        if (const auto ids = selectedRunIds(); !ids.isEmpty() && ids.size() <= 2)
            Q_EMIT playgroundRequested(ids);
    });
    connect(compare_, &QPushButton::clicked, this, [this] {
        QVector<qint64> ids = selectedRunIds();
        std::sort(ids.begin(), ids.end()); // oldest first, whatever the table's sort
        Q_EMIT compareRequested(ids);
    });
    connect(compareGroup_, &QPushButton::clicked, this, [this] {
        if (const QVector<qint64> group = selectedSeedGroup(); !group.isEmpty())
            Q_EMIT seedGroupCompareRequested(group);
    });
    connect(clone_, &QPushButton::clicked, this, [this] { emitClone(false); });
    connect(rerun_, &QPushButton::clicked, this, [this] { emitClone(true); });
    connect(delete_, &QPushButton::clicked, this, &RunBrowser::deleteSelected);
    connect(export_, &QPushButton::clicked, this, [this] {
        if (selectedRunIds().size() == 1)
            Q_EMIT exportRequested(selectedRunIds().front());
    });
    connect(saveDetails_, &QPushButton::clicked, this, &RunBrowser::saveDetails);
    setStore(nullptr);
}

void RunBrowser::buildFilters(QWidget *bar)
{
    textFilter_->setObjectName(QStringLiteral("runTextFilter"));
    textFilter_->setPlaceholderText(tr("Filter by name or notes (Ctrl+F)"));
    textFilter_->setClearButtonEnabled(true);
    statusFilter_->setObjectName(QStringLiteral("runStatusFilter"));
    statusFilter_->addItem(tr("Any status"), QString());
    for (RunStatus status : {RunStatus::Queued, RunStatus::Running, RunStatus::Finished, RunStatus::Failed,
                             RunStatus::Cancelled, RunStatus::Interrupted}) {
        const QString word = QString::fromLatin1(lwb::storage::toString(status));
        statusFilter_->addItem(word, word);
    }
    variantFilter_->setObjectName(QStringLiteral("runVariantFilter"));
    tagFilter_->setObjectName(QStringLiteral("runTagFilter"));
    countLabel_->setObjectName(QStringLiteral("runCount"));

    auto *layout = new QHBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(textFilter_, 2);
    layout->addWidget(statusFilter_);
    layout->addWidget(variantFilter_);
    layout->addWidget(tagFilter_);
    layout->addWidget(countLabel_);
    layout->addStretch();
    compare_->setObjectName(QStringLiteral("compareRunsButton"));
    compare_->setToolTip(tr("Overlay the selected runs' curves and diff their configs (select two or more)."));
    compareGroup_->setObjectName(QStringLiteral("compareGroupButton"));
    compareGroup_->setToolTip(tr("Compare every run of the selected run's seed group (configs equal but for the "
                                 "seed) as a mean curve with a band, metrics as mean ± CI."));
    clone_->setObjectName(QStringLiteral("cloneConfigButton"));
    clone_->setToolTip(tr("Load the selected run's config into the run form."));
    rerun_->setObjectName(QStringLiteral("rerunButton"));
    rerun_->setToolTip(tr("Start the selected run's config again as a new run."));
    delete_->setObjectName(QStringLiteral("deleteRunsButton"));
    delete_->setToolTip(tr("Remove the selected runs and their samples from the store."));
    export_->setObjectName(QStringLiteral("exportRunButton"));
    export_->setToolTip(tr("Write the selected run's adapter as files PEFT / transformers load."));
    openStudy_->setObjectName(QStringLiteral("openStudyButton"));
    openStudy_->setToolTip(tr("Show the selected DLP-LoRA study in the DLP-LoRA tab: its table, matrices and the "
                              "inference panel (double-click does the same)."));
    for (QPushButton *button : {compare_, compareGroup_, clone_, rerun_, export_, openStudy_, delete_})
        layout->addWidget(button);
    auto *refreshButton = new QPushButton(tr("Refresh"));
    refreshButton->setObjectName(QStringLiteral("refreshRunsButton"));
    connect(refreshButton, &QPushButton::clicked, this, &RunBrowser::refresh);
    layout->addWidget(refreshButton);
}

QWidget *RunBrowser::buildDetails()
{
    auto *panel = new QWidget;
    auto *layout = new QFormLayout(panel);
    detailsTitle_->setObjectName(QStringLiteral("runDetailsTitle"));
    detailsTitle_->setWordWrap(true);
    tagsEdit_->setObjectName(QStringLiteral("runTagsEdit"));
    tagsEdit_->setPlaceholderText(tr("comma-separated"));
    notesEdit_->setObjectName(QStringLiteral("runNotesEdit"));
    notesEdit_->setTabChangesFocus(true);
    saveDetails_->setObjectName(QStringLiteral("saveRunDetailsButton"));
    layout->addRow(detailsTitle_);
    layout->addRow(tr("Tags"), tagsEdit_);
    layout->addRow(tr("Notes"), notesEdit_);
    layout->addRow(saveDetails_);
    return panel;
}

void RunBrowser::setStore(StoreWorker *store)
{
    store_ = store;
    refresh();
}

bool RunBrowser::storeOpen() const
{
    return store_ != nullptr && !store_->path().isEmpty();
}

void RunBrowser::focusFilter()
{
    textFilter_->setFocus(Qt::ShortcutFocusReason);
    textFilter_->selectAll();
}

void RunBrowser::reportProblem(const QString &message)
{
    problem_->setText(message);
    problem_->setVisible(!message.isEmpty());
}

void RunBrowser::showTaskProgress(const QString &what, int done, int total)
{
    taskLabel_->setText(what);
    taskProgress_->setRange(0, total);
    taskProgress_->setValue(done);
    taskRow_->show();
}

void RunBrowser::endTask()
{
    task_.reset();
    taskRow_->hide();
    cancelTask_->setEnabled(true);
}

namespace {

// What one refresh reads on the store thread.
struct RunListSnapshot
{
    std::vector<std::string> variants;
    std::vector<std::string> tags;
    std::vector<RunRow> rows;
};

} // namespace

void RunBrowser::refresh()
{
    textDelay_.stop();
    const quint64 generation = ++refreshGeneration_;
    if (!storeOpen()) {
        model_->setRows({});
        reportProblem(tr("The run store is not open (see File > Settings), so there are no runs to show."));
        countLabel_->setText(tr("%n run(s)", nullptr, 0));
        showSelection();
        Q_EMIT refreshed();
        return;
    }
    lwb::storage::RunFilter filter;
    if (const QString status = statusFilter_->currentData().toString(); !status.isEmpty())
        filter.statuses = {*lwb::storage::parseRunStatus(status.toStdString())};
    filter.variant = variantFilter_->currentData().toString().toStdString();
    filter.tag = tagFilter_->currentData().toString().toStdString();
    filter.text = textFilter_->text().trimmed().toStdString();
    ++pendingTasks_;
    store_->run<RunListSnapshot>(
        this,
        [filter](lwb::storage::RunStore &store, const StoreTaskControl &) {
            RunListSnapshot snapshot;
            snapshot.variants = store.allVariants();
            snapshot.tags = store.allTags();
            for (auto &entry : store.listRunsWithFigures(filter))
                snapshot.rows.push_back(runRow(std::move(entry)));
            return snapshot;
        },
        [this, generation](StoreOutcome<RunListSnapshot> outcome) {
            --pendingTasks_;
            if (generation != refreshGeneration_)
                return; // a newer refresh is on its way
            const QVector<qint64> selected = selectedRunIds();
            if (outcome.value) {
                refillCombo(variantFilter_, tr("Any variant"), outcome.value->variants);
                refillCombo(tagFilter_, tr("Any tag"), outcome.value->tags);
                model_->setRows(std::move(outcome.value->rows));
                if (model_->rowCount() <= kFitColumnsUpToRows)
                    table_->resizeColumnsToContents();
                reportProblem({});
            } else {
                reportProblem(tr("Cannot read the run store: %1").arg(outcome.error));
            }
            countLabel_->setText(tr("%n run(s)", nullptr, visibleRunCount()));
            selectRuns(selected);
            showSelection();
            Q_EMIT refreshed();
        });
}

int RunBrowser::visibleRunCount() const
{
    return proxy_->rowCount();
}

QVector<qint64> RunBrowser::selectedRunIds() const
{
    QVector<qint64> ids;
    QModelIndexList rows = table_->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    for (const QModelIndex &index : rows)
        ids << model_->runRow(proxy_->mapToSource(index).row()).run.id;
    return ids;
}

bool RunBrowser::selectedIsStudy() const
{
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    return rows.size() == 1 && lwb::isStudyVariant(model_->runRow(proxy_->mapToSource(rows.front()).row()).run.variant);
}

QVector<qint64> RunBrowser::selectedSeedGroup() const
{
    const QVector<qint64> selected = selectedRunIds();
    if (selected.isEmpty())
        return {};
    const auto group = model_->seedGroupRunIds(selected.front());
    for (qint64 id : selected)
        if (std::find(group.begin(), group.end(), id) == group.end())
            return {}; // the selection spans groups
    if (group.size() < 2)
        return {};
    return QVector<qint64>(group.begin(), group.end());
}

void RunBrowser::selectRuns(const QVector<qint64> &runIds)
{
    const QSet<qint64> wanted(runIds.begin(), runIds.end());
    QItemSelection selection;
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const QModelIndex index = proxy_->index(row, 0);
        if (wanted.contains(model_->runRow(proxy_->mapToSource(index).row()).run.id))
            selection.select(index, proxy_->index(row, RunTableModel::ColumnCount - 1));
    }
    table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void RunBrowser::showSelection()
{
    const QVector<qint64> ids = selectedRunIds();
    compare_->setEnabled(ids.size() >= 2);
    compareGroup_->setEnabled(!selectedSeedGroup().isEmpty());
    clone_->setEnabled(ids.size() == 1);
    rerun_->setEnabled(ids.size() == 1);
    export_->setEnabled(ids.size() == 1);
    openStudy_->setEnabled(selectedIsStudy());
    playgroundAction_->setEnabled(!selectedRunIds().isEmpty() && selectedRunIds().size() <= 2);
    delete_->setEnabled(!ids.isEmpty());
    const bool one = ids.size() == 1;
    tagsEdit_->setEnabled(one);
    notesEdit_->setEnabled(one);
    saveDetails_->setEnabled(one);
    if (!one) {
        detailsTitle_->setText(ids.isEmpty() ? tr("Select a run to edit its tags and notes.")
                                             : tr("%n runs selected.", nullptr, int(ids.size())));
        tagsEdit_->clear();
        notesEdit_->clear();
        return;
    }
    const RunRow *row = nullptr;
    for (int i = 0; i < model_->rowCount(); ++i) {
        if (model_->runRow(i).run.id == ids.front())
            row = &model_->runRow(i);
    }
    const auto &run = row->run;
    detailsTitle_->setText(tr("<b>#%1 %2</b><br>%3, %4")
                               .arg(run.id)
                               .arg(QString::fromStdString(run.name).toHtmlEscaped(),
                                    QString::fromStdString(run.variant),
                                    QString::fromLatin1(lwb::storage::toString(run.status))));
    QStringList tags;
    for (const auto &tag : run.tags)
        tags << QString::fromStdString(tag);
    tagsEdit_->setText(tags.join(QStringLiteral(", ")));
    notesEdit_->setPlainText(QString::fromStdString(run.notes));
}

void RunBrowser::saveDetails()
{
    const QVector<qint64> ids = selectedRunIds();
    if (!storeOpen() || ids.size() != 1)
        return;
    const qint64 id = ids.front();
    const QStringList wanted = splitTags(tagsEdit_->text());
    const std::string notes = notesEdit_->toPlainText().toStdString();
    ++pendingTasks_;
    store_->run<bool>(
        this,
        [id, wanted = toStd(wanted), notes](lwb::storage::RunStore &store, const StoreTaskControl &) {
            const auto run = store.run(id);
            const std::set<std::string> keep(wanted.begin(), wanted.end());
            std::vector<std::string> removed;
            for (const auto &tag : run.tags) {
                if (keep.count(tag) == 0)
                    removed.push_back(tag);
            }
            store.removeTags(id, removed);
            store.addTags(id, wanted);
            store.setNotes(id, notes);
            return true;
        },
        [this](StoreOutcome<bool> outcome) {
            --pendingTasks_;
            if (!outcome.value) {
                // Not exec(): the event loop (and the jobs' signals) keep turning.
                auto *box = new QMessageBox(QMessageBox::Warning, tr("Save tags and notes"), outcome.error,
                                            QMessageBox::Ok, this);
                box->setAttribute(Qt::WA_DeleteOnClose);
                box->open();
                return;
            }
            refresh();
            Q_EMIT runsChanged();
        });
}

void RunBrowser::emitClone(bool rerun)
{
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    if (rows.size() != 1)
        return;
    // The list holds each run's config already: nothing to read.
    const RunRow &row = model_->runRow(proxy_->mapToSource(rows.front()).row());
    Q_EMIT configCloned(QString::fromStdString(row.run.configJson), rerun);
}

void RunBrowser::deleteSelected()
{
    const QVector<qint64> ids = selectedRunIds();
    if (!storeOpen() || ids.isEmpty() || task_)
        return;
    QStringList names;
    for (int i = 0; i < model_->rowCount(); ++i) {
        const auto &run = model_->runRow(i).run;
        if (!ids.contains(run.id))
            continue;
        if (run.status == RunStatus::Running) {
            QMessageBox::information(this, tr("Delete runs"),
                                     tr("Run #%1 is still running; cancel it before deleting it.").arg(run.id));
            return;
        }
        names << QStringLiteral("#%1 %2").arg(run.id).arg(QString::fromStdString(run.name));
    }
    QMessageBox box(QMessageBox::Warning, tr("Delete runs"),
                    tr("Delete %n run(s)? Their samples, evaluations, tags, notes and artifact records are removed "
                       "from the store; files on disk (checkpoints, exports) stay.",
                       nullptr, int(ids.size())),
                    QMessageBox::Yes | QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("deleteRunsBox"));
    box.setDetailedText(names.join(QLatin1Char('\n')));
    box.setDefaultButton(QMessageBox::Cancel);
    if (box.exec() != QMessageBox::Yes)
        return;

    // One run per transaction, so Cancel (between runs) leaves whole runs.
    task_ = std::make_shared<StoreTaskControl>();
    task_->receiver = this;
    const int total = int(ids.size());
    task_->onProgress = [this](int done, int all) { showTaskProgress(tr("Deleting runs…"), done, all); };
    showTaskProgress(tr("Deleting runs…"), 0, total);
    ++pendingTasks_;
    store_->run<QStringList>(
        this,
        [ids = std::vector<std::int64_t>(ids.begin(), ids.end())](lwb::storage::RunStore &store,
                                                                  const StoreTaskControl &control) {
            QStringList skipped;
            int done = 0;
            for (std::int64_t id : ids) {
                if (control.isCancelled())
                    break;
                const auto run = store.findRun(id);
                if (run && run->status == RunStatus::Running)
                    skipped << QObject::tr("run #%1 started running; it was kept").arg(id);
                else if (run)
                    store.deleteRun(id);
                control.progress(++done, int(ids.size()));
            }
            return skipped;
        },
        [this](StoreOutcome<QStringList> outcome) {
            --pendingTasks_;
            endTask();
            QString problem = outcome.value ? outcome.value->join(QStringLiteral("; ")) : outcome.error;
            if (!problem.isEmpty()) {
                auto *warning
                    = new QMessageBox(QMessageBox::Warning, tr("Delete runs"), problem, QMessageBox::Ok, this);
                warning->setAttribute(Qt::WA_DeleteOnClose);
                warning->open();
            }
            refresh();
            Q_EMIT runsChanged();
        },
        task_);
}

} // namespace lwb::ui
