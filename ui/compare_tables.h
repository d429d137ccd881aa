// CompareTables: the compare view's tabs under the curves — the config diff
// (only the keys whose values differ, or all of them), each series' final and
// best value per run (or per seed group as mean ± 95 % CI half-width (n)), the
// last evaluation's exact match per task as a table and grouped bars, and the
// stored routing of a mixture run.
//
// Split from CompareView so that the view keeps the toolbar, the reads and the
// wiring: these tables only draw what a reload read (storage::RunComparison),
// on the GUI thread, and never touch the store themselves (the routing page
// reads through its own StoredRoutingView).
#pragma once

#include "storage/run_comparison.h"
#include "ui/compare_runs.h"

#include <QTabWidget>

#include <map>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QTableWidget;

namespace lwb::ui {

class StoredRoutingView;
class StoreWorker;

class CompareTables : public QTabWidget
{
    Q_OBJECT

public:
    explicit CompareTables(QWidget *parent = nullptr);

    void setStore(StoreWorker *store); // for the routing page
    // Fills every page; lastExactMatch holds per run: task -> exact match at its last evaluation.
    void showComparison(const ComparedRuns &runs, const lwb::storage::RunComparison &comparison,
                        const std::vector<std::map<std::string, double>> &lastExactMatch);
    // The metrics table per seed group (true, when runs.hasSeedGroups()) or per run.
    void setGrouped(bool grouped);
    bool isLoading() const; // the routing page's read is on its way

    QCheckBox *allKeysToggle() const { return allKeys_; }
    QCustomPlot *taskBars() const { return taskBars_; }
    QTableWidget *configTable() const { return configTable_; }
    QTableWidget *metricsTable() const { return metricsTable_; }
    QTableWidget *taskTable() const { return taskTable_; }
    QComboBox *routingRunChoice() const { return routingRun_; }
    StoredRoutingView *routing() const { return routing_; }

private:
    void fillConfigTable();
    void fillMetricsTable();
    void fillGroupedMetricsTable();
    void fillTaskEvaluation();
    void fillRoutingChoice();

    ComparedRuns runs_;
    lwb::storage::RunComparison comparison_;
    std::vector<std::map<std::string, double>> lastExactMatch_;
    bool grouped_ = false;
    QCheckBox *allKeys_;
    QCustomPlot *taskBars_;
    QTableWidget *configTable_;
    QTableWidget *metricsTable_;
    QTableWidget *taskTable_;
    QComboBox *routingRun_;
    StoredRoutingView *routing_;
};

} // namespace lwb::ui
