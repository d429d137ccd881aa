// RunBrowser: every run of the store in a sortable table, narrowed by status,
// variant, tag and a text search (name or notes); the selected run's tags and
// notes editable beside it; and the actions on runs — compare the selected
// ones, compare the selected run's seed group (every run whose config differs
// only in its seed, as mean curves with bands), clone a run's config into the form, re-run it, export its adapter,
// delete (after a confirmation that says what goes).
//
// Every read and write goes through the StoreWorker (the store's own thread):
// a refresh is one query for the whole list (RunStore::listRunsWithFigures),
// applied when it arrives; a refresh asked while one is in flight supersedes
// it. Deletes show their progress (runs done) and can be cancelled between
// runs. Filters go to the store's RunFilter; the text filter waits for a
// pause in typing. A run that is still running cannot be deleted: its
// recorder writes into it.
#pragma once

#include <QTimer>
#include <QVector>
#include <QWidget>

#include <cstdint>
#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

class QProgressBar;

namespace lwb::ui {

class RunTableModel;
class StoreTaskControl;
class StoreWorker;

class RunBrowser : public QWidget
{
    Q_OBJECT

public:
    explicit RunBrowser(QWidget *parent = nullptr);

    // The store's thread; null or without a path: the store could not be
    // opened, and the browser says so.
    void setStore(StoreWorker *store);

    QTableView *table() const { return table_; }
    RunTableModel *model() const { return model_; }
    QLineEdit *textFilter() const { return textFilter_; }
    QComboBox *statusFilter() const { return statusFilter_; }
    QComboBox *variantFilter() const { return variantFilter_; }
    QComboBox *tagFilter() const { return tagFilter_; }
    QLineEdit *tagsEdit() const { return tagsEdit_; }
    QPlainTextEdit *notesEdit() const { return notesEdit_; }
    QPushButton *saveDetailsButton() const { return saveDetails_; }
    QPushButton *compareButton() const { return compare_; }
    QPushButton *compareGroupButton() const { return compareGroup_; }
    QPushButton *cloneButton() const { return clone_; }
    QPushButton *rerunButton() const { return rerun_; }
    QPushButton *deleteButton() const { return delete_; }
    QPushButton *exportButton() const { return export_; }
    QPushButton *openStudyButton() const { return openStudy_; }
    QAction *playgroundAction() const { return playgroundAction_; }

    // Run ids of the selected rows, in table order.
    QVector<qint64> selectedRunIds() const;
    void selectRuns(const QVector<qint64> &runIds);
    // Rows shown now (after filters).
    int visibleRunCount() const;
    // A refresh, save or delete is on its way through the store thread.
    bool isBusy() const { return pendingTasks_ > 0; }
    QPushButton *cancelTaskButton() const { return cancelTask_; }

public Q_SLOTS:
    void refresh(); // re-reads the store, keeps the selection
    void focusFilter();

Q_SIGNALS:
    void compareRequested(const QVector<qint64> &runIds); // ascending ids: oldest run first
    // The selected run's seed group (2+ runs, ascending ids), for the compare
    // view with "Group by seed" on.
    void seedGroupCompareRequested(const QVector<qint64> &runIds);
    // The run's config (JSON text) for the form; rerun: start it at once.
    void configCloned(const QString &configJson, bool rerun);
    void runsChanged(); // tags, notes or deletions written
    void refreshed();   // the table shows the store as of the last refresh
    void exportRequested(qint64 runId);
    void studyRequested(qint64 runId);                       // a DLP-LoRA study, for the DLP-LoRA tab
    void playgroundRequested(const QVector<qint64> &runIds); // one run, or two side by side

private:
    void buildFilters(QWidget *bar);
    QWidget *buildDetails();
    void showSelection();
    void saveDetails();
    void deleteSelected();
    void emitClone(bool rerun);
    bool selectedIsStudy() const; // exactly one run selected, a DLP-LoRA study
    // The seed group of the selection when every selected run is in one group
    // of two or more runs; empty otherwise.
    QVector<qint64> selectedSeedGroup() const;
    void reportProblem(const QString &message);
    bool storeOpen() const;
    void showTaskProgress(const QString &what, int done, int total);
    void endTask();

    StoreWorker *store_ = nullptr;
    int pendingTasks_ = 0;
    quint64 refreshGeneration_ = 0;          // results of older refreshes are dropped
    std::shared_ptr<StoreTaskControl> task_; // the delete in flight, for Cancel
    RunTableModel *model_;
    QSortFilterProxyModel *proxy_;
    QTableView *table_;
    QLineEdit *textFilter_;
    QComboBox *statusFilter_;
    QComboBox *variantFilter_;
    QComboBox *tagFilter_;
    QLabel *countLabel_;
    QLabel *detailsTitle_;
    QLineEdit *tagsEdit_;
    QPlainTextEdit *notesEdit_;
    QPushButton *saveDetails_;
    QPushButton *compare_;
    QPushButton *compareGroup_;
    QPushButton *clone_;
    QPushButton *rerun_;
    QPushButton *delete_;
    QPushButton *export_;
    QPushButton *openStudy_;
    QAction *playgroundAction_ = nullptr; // context menu: Open in playground
    QLabel *problem_;
    QWidget *taskRow_;
    QLabel *taskLabel_;
    QProgressBar *taskProgress_;
    QPushButton *cancelTask_;
    QTimer textDelay_;
};

} // namespace lwb::ui
