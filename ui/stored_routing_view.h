// StoredRoutingView: the routing of a mixture run (SiRA) read back from the
// run store — the expert load per adapted layer at the last recorded step and
// the task x expert matrix of the last evaluation, as heatmaps — so a finished
// run can be inspected and compared the way the live Routing dock shows a
// running one. A run without routing series says so. The series are read on
// the store's thread (StoreWorker) and drawn when they arrive.
#pragma once

#include <QStringList>
#include <QVector>
#include <QWidget>

#include <cstdint>

class QCustomPlot;
class QCPColorMap;
class QLabel;

namespace lwb::ui {

class StoreWorker;

class StoredRoutingView : public QWidget
{
    Q_OBJECT

public:
    explicit StoredRoutingView(QWidget *parent = nullptr);

    void setStore(StoreWorker *store) { store_ = store; }
    // Reads the run's routing (asynchronously); 0 clears the view.
    void showRun(std::int64_t runId);
    bool isLoading() const { return loading_; }

    // What is drawn (tests): rows are layers / tasks, columns experts.
    const QStringList &layerNames() const { return layers_; }
    const QStringList &taskNames() const { return tasks_; }
    double load(int layer, int expert) const { return loads_.at(layer * experts_ + expert); }
    double taskShare(int task, int expert) const { return shares_.at(task * experts_ + expert); }
    int expertCount() const { return experts_; }
    bool hasRouting() const { return !layers_.isEmpty(); }

private:
    void draw(QCustomPlot *plot, QCPColorMap *map, const QStringList &rows, const QVector<double> &values,
              const QString &title);

    struct Routing; // what one read gives
    void apply(std::int64_t runId, Routing routing, const QString &error);

    StoreWorker *store_ = nullptr;
    quint64 generation_ = 0; // a newer showRun drops an older read's result
    bool loading_ = false;
    QLabel *message_;
    QCustomPlot *loadPlot_;
    QCustomPlot *taskPlot_;
    QCPColorMap *loadMap_;
    QCPColorMap *taskMap_;
    QStringList layers_;
    QStringList tasks_;
    QVector<double> loads_;  // layer-major
    QVector<double> shares_; // task-major
    int experts_ = 0;
    std::int64_t loadStep_ = 0;
    std::int64_t taskStep_ = 0;
};

} // namespace lwb::ui
