// CompareView: two or more runs side by side — one series of every run
// overlaid on one plot (x: step, tokens seen or wall time), a config diff
// table (only the keys that differ, or all of them), a table of each series'
// final and best value per run, and the last evaluation's exact match per
// task as grouped bars. Figures export as PNG/PDF, curves and tables as CSV.
//
// The view is the toolbar, the reload and the wiring: it reads the runs'
// comparison on the store's thread (StoreWorker: the GUI thread only draws)
// when the runs change, and hands it to its two parts — the curve plot with
// its own reads (compare_curves_panel.h: thinned to the plot's pixel columns,
// re-read on zoom) and the tables under it (compare_tables.h). A newer reload
// supersedes an older one still in flight. Any number of runs can be
// compared; colours cycle through a palette (compare_runs.h).
//
// Seed groups (storage/seed_groups.h): when two or more of the runs differ
// only in their seed, "Group by seed" draws each group as its mean curve with
// a shaded band (min-max or the 95 % t-interval of the mean, point by point
// over the steps every run of the group logged) and the metrics table shows
// each group's final and best values as mean ± half-width (n) instead of one
// column per run.
#pragma once

#include "storage/seed_groups.h"
#include "ui/compare_curves_panel.h"
#include "ui/compare_runs.h"
#include "ui/compare_tables.h"

#include <QVector>
#include <QWidget>

#include <cstdint>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;

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
    static constexpr std::size_t kMaxPointsPerCurve = CompareCurvesPanel::kMaxPointsPerCurve;

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
    QCheckBox *groupBySeedToggle() const { return groupBySeed_; }
    QComboBox *bandChoice() const { return bandChoice_; }
    QCheckBox *allKeysToggle() const { return tables_->allKeysToggle(); }
    QCustomPlot *curves() const { return curves_->plot(); }
    CompareCurvesPanel *curvesPanel() const { return curves_; }
    QCustomPlot *taskBars() const { return tables_->taskBars(); }
    QTableWidget *configTable() const { return tables_->configTable(); }
    QTableWidget *metricsTable() const { return tables_->metricsTable(); }
    QTableWidget *taskTable() const { return tables_->taskTable(); }
    QComboBox *routingRunChoice() const { return tables_->routingRunChoice(); }
    StoredRoutingView *routing() const { return tables_->routing(); }

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
    void showGrouping(); // the grouping and band choices to the curves and the tables
    void finishRead();
    QString runLabel(int index) const;
    ComparedRuns comparedRuns() const;
    int runIndex(std::int64_t runId) const;
    bool grouped() const;
    void exportFigure();
    void exportTablesInteractively();

    StoreWorker *store_ = nullptr;
    QVector<qint64> runIds_;
    QStringList runNames_;
    std::vector<lwb::storage::SeedGroup> groups_;
    std::vector<std::string> series_; // the series any compared run has
    quint64 reloadGeneration_ = 0;
    int pendingReads_ = 0;
    QLabel *title_;
    QComboBox *seriesChoice_;
    QComboBox *axisChoice_;
    QCheckBox *groupBySeed_;
    QComboBox *bandChoice_;
    CompareCurvesPanel *curves_;
    CompareTables *tables_;
};

} // namespace lwb::ui
