// StudyView: a recorded study (storage/study_store.h) in the centre's
// "Studies" tab — what `lorawb study` prints, for a person to explore:
//   * a table of the study's cells: the metric's final value over each cell's
//     finished seeds as mean, 95 % t-interval and n, runs still pending or
//     failed, and the paired comparison with the baseline cell chosen in a
//     combo (difference, its interval, the paired t-test's p over the seeds
//     both finished);
//   * a setting-vs-metric scatter for a chosen numeric axis of the study
//     (every seed's value and each cell's mean with its interval);
//   * parallel coordinates (ParallelCoordinatesPlot): an axis per swept path
//     and the metric, a line per cell;
//   * "Export report…": the HTML page and the CSV of storage/study_report.h.
// One value model (storage/study_summary.h) behind all of it, so the GUI,
// the CLI and the report show the same numbers.
//
// The cells come from expanding the stored spec (parseStudySpec of
// StudyRecord::specJson). A spec whose "base" is a file path relative to a
// study file the store does not know (or that moved) cannot be expanded
// again: the view then takes the cells recorded with the study's runs
// (studyRuns), says so, and matches the spec's "baseline" against them. Cells
// without any recorded run are unknown in that case.
//
// Every read, summary and export runs on the store's thread (StoreWorker).
#pragma once

#include "storage/study_summary.h"

#include <QString>
#include <QWidget>

#include <cstdint>
#include <string>
#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;
class QPushButton;
class QTableWidget;

namespace lwb::ui {

class ParallelCoordinatesPlot;
class StoreWorker;

// A study's cells as the view and the report need them.
struct StudyCells
{
    std::vector<std::string> keys; // cell i's settings text, [[path, value], ...]
    int baselineCell = -1;         // from the spec's "baseline"; -1: none named or not found
    bool fromRecordedRuns = false; // the spec could not be expanded again (see above)
    QString note;                  // why, for the view to say
};

// Expands the stored spec; falls back to the cells of `links`. Pure (no store).
StudyCells studyCells(const lwb::storage::StudyRecord &study, const std::vector<lwb::storage::StudyRunLink> &links);

class StudyView : public QWidget
{
    Q_OBJECT

public:
    enum Column {
        CellColumn,
        SettingsColumn,
        CountColumn,
        MeanColumn,
        IntervalColumn,
        PendingColumn,
        FailedColumn,
        DifferenceColumn,
        DifferenceIntervalColumn,
        PValueColumn,
        ColumnCount
    };

    explicit StudyView(QWidget *parent = nullptr);

    void setStore(StoreWorker *store);
    // Shows the study with this id (0: none).
    void showStudy(std::int64_t studyId);
    void setBaselineCell(int cellIndex);
    // Writes the HTML report and the CSV (on the store thread), then emits
    // reportExported.
    void exportReport(const QString &htmlPath, const QString &csvPath);
    bool isLoading() const { return pendingReads_ > 0; }

    QComboBox *studyChoice() const { return studyChoice_; }
    QComboBox *baselineChoice() const { return baselineChoice_; }
    QComboBox *axisChoice() const { return axisChoice_; }
    QTableWidget *cellTable() const { return table_; }
    QCustomPlot *scatter() const { return scatter_; }
    ParallelCoordinatesPlot *parallelCoordinates() const { return parallel_; }
    QLabel *noteLabel() const { return note_; }
    QPushButton *newStudyButton() const { return newStudy_; }
    const lwb::storage::StudySummary &summary() const { return summary_; }

public Q_SLOTS:
    void reload(); // the list of studies and the shown one, again

Q_SIGNALS:
    void loaded();                             // the reads asked so far have arrived and are drawn
    void reportExported(const QString &error); // empty: both files written
    void newStudyRequested();                  // "New study…": the window opens the study editor

private:
    void summarize();
    void fillTable();
    void fillAxisChoice();
    void drawScatter();
    void exportInteractively();
    void finishRead();

    StoreWorker *store_ = nullptr;
    static constexpr int kSpecBaseline = -2; // the baseline the spec names
    std::int64_t studyId_ = 0;
    int chosenBaseline_ = kSpecBaseline; // a cell index, -1 (none) or kSpecBaseline
    StudyCells cells_;
    lwb::storage::StudySummary summary_;
    int pendingReads_ = 0;
    quint64 generation_ = 0;
    QComboBox *studyChoice_;
    QComboBox *baselineChoice_;
    QComboBox *axisChoice_;
    QPushButton *export_;
    QPushButton *newStudy_;
    QLabel *note_;
    QTableWidget *table_;
    QCustomPlot *scatter_;
    ParallelCoordinatesPlot *parallel_;
};

} // namespace lwb::ui
