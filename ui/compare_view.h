// CompareView: two or more runs side by side — one series of every run
// overlaid on one plot (x: step, tokens seen or wall time), a config diff
// table (only the keys that differ, or all of them), a table of each series'
// final and best value per run, and the last evaluation's exact match per
// task as grouped bars. Figures export as PNG/PDF, curves and tables as CSV.
//
// It reads the store on demand when the runs, the series or the x axis
// change, on the store's thread (StoreWorker: the GUI thread only draws);
// curves arrive plot-ready for every x axis and band kind, thinned to the
// plot's pixel columns with each column's min and max kept
// (compare_curve_data.h), so a run of a million steps draws as fast as a
// short one and switching the axis reads nothing. A newer read supersedes an
// older one still in flight. Any number of runs can be compared; colours cycle through a
// palette.
//
// Seed groups (storage/seed_groups.h): when two or more of the runs differ
// only in their seed, "Group by seed" draws each group as its mean curve with
// a shaded band (min-max or the 95 % t-interval of the mean, point by point
// over the steps every run of the group logged) and the metrics table shows
// each group's final and best values as mean ± half-width (n) instead of one
// column per run.
#pragma once

#include "storage/run_comparison.h"
#include "storage/seed_groups.h"
#include "ui/compare_curve_data.h"

#include <QTimer>
#include <QVector>
#include <QWidget>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;
class QTabWidget;

namespace lwb::ui {
class StoredRoutingView;
class StoreWorker;
} // namespace lwb::ui

namespace lwb::ui {

class CompareView : public QWidget
{
    Q_OBJECT

public:
    enum class XAxis { Step, Tokens, WallTime };
    enum class Band { MinMax, ConfidenceInterval };
    static constexpr std::size_t kMaxPointsPerCurve = 4000;

    explicit CompareView(QWidget *parent = nullptr);

    void setStore(StoreWorker *store);
    // Loads the runs (at least one; the view says when fewer than two).
    void setRuns(const QVector<qint64> &runIds);
    const QVector<qint64> &runIds() const { return runIds_; }
    // A read is on its way (the tables, curves or routing are not final yet).
    bool isLoading() const;

    void setSeries(const QString &series);
    void setXAxis(XAxis axis);
    // Seed groups: one mean curve with a band per group (when any group has 2+ runs).
    void setGroupBySeed(bool grouped);
    void setBand(Band band);
    // The compared runs grouped by seed, groups in the order of their first run.
    const std::vector<lwb::storage::SeedGroup> &seedGroups() const { return groups_; }
    bool hasSeedGroups() const; // some group has two or more runs

    QComboBox *seriesChoice() const { return seriesChoice_; }
    QComboBox *axisChoice() const { return axisChoice_; }
    QCheckBox *allKeysToggle() const { return allKeys_; }
    QCheckBox *groupBySeedToggle() const { return groupBySeed_; }
    QComboBox *bandChoice() const { return bandChoice_; }
    QCustomPlot *curves() const { return curves_; }
    QCustomPlot *taskBars() const { return taskBars_; }
    QTableWidget *configTable() const { return configTable_; }
    QTableWidget *metricsTable() const { return metricsTable_; }
    QTableWidget *taskTable() const { return taskTable_; }
    QComboBox *routingRunChoice() const { return routingRun_; }
    StoredRoutingView *routing() const { return routing_; }

    // Writes compare_config.csv, compare_metrics.csv, compare_tasks.csv and
    // compare_curves.csv into the folder; false with *error when one fails.
    bool exportTables(const QString &directory, QString *error);

public Q_SLOTS:
    void reload();

Q_SIGNALS:
    void loaded(); // every read asked so far has arrived and is drawn

private:
    QWidget *buildToolbar();
    void fillSeriesChoice();
    void readCurves();
    void showCurves();
    int plotColumns() const; // pixel columns of the curve plot, clamped
    bool eventFilter(QObject *watched, QEvent *event) override;
    void fillConfigTable();
    void fillMetricsTable();
    void fillTaskEvaluation();
    void fillRoutingChoice();
    void finishRead();
    QString runLabel(int index) const;
    QString groupLabel(std::size_t group) const;
    bool grouped() const;
    int runIndex(std::int64_t runId) const;
    void fillGroupedMetricsTable();
    void exportFigure();
    void exportTablesInteractively();

    StoreWorker *store_ = nullptr;
    QVector<qint64> runIds_;
    QStringList runNames_;
    lwb::storage::RunComparison comparison_;
    std::vector<lwb::storage::SeedGroup> groups_;
    std::vector<std::map<std::string, double>> lastExactMatch_; // per run: task -> exact match, last evaluation
    quint64 reloadGeneration_ = 0;
    quint64 curveGeneration_ = 0;
    std::optional<CompareCurveData> curveData_; // the last read's curves, every axis
    QString curveSeries_;                       // the series they are of
    int curveColumns_ = 0;                      // the columns they were thinned to
    QTimer rethinTimer_;
    int pendingReads_ = 0;
    QLabel *title_;
    QComboBox *seriesChoice_;
    QComboBox *axisChoice_;
    QCheckBox *allKeys_;
    QCheckBox *groupBySeed_;
    QComboBox *bandChoice_;
    QCustomPlot *curves_;
    QCustomPlot *taskBars_;
    QTabWidget *tabs_;
    QTableWidget *configTable_;
    QTableWidget *metricsTable_;
    QTableWidget *taskTable_;
    QComboBox *routingRun_;
    StoredRoutingView *routing_;
};

} // namespace lwb::ui
