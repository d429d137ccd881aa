// See stored_routing_view.h.
#include "ui/stored_routing_view.h"

#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_store.h"
#include "ui/plot_export.h"
#include "ui/plot_parts.h"
#include "ui/routing_view.h"
#include "ui/store_worker.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace lwb::ui {

namespace {

namespace series = lwb::storage::series;

// The last sample of each row key of a vector series: row names, values
// row-major, the expert count and the step.
void readLatest(lwb::storage::MetricReader &reader, std::int64_t runId, const std::string &name, QStringList &rows,
                QVector<double> &values, int &experts, std::int64_t &step)
{
    for (const auto &row : reader.vectorLayers(runId, name)) {
        const auto samples = reader.vectorSeries(runId, name, row);
        if (samples.empty())
            continue;
        const auto &last = samples.back();
        if (experts == 0)
            experts = static_cast<int>(last.values.size());
        if (static_cast<int>(last.values.size()) != experts)
            continue; // a row of another width cannot share the map
        rows << QString::fromStdString(row);
        for (const float value : last.values)
            values << value;
        step = std::max(step, last.step);
    }
}

} // namespace

StoredRoutingView::StoredRoutingView(QWidget *parent)
    : QWidget(parent)
    , message_(new QLabel)
    , loadPlot_(new QCustomPlot)
    , taskPlot_(new QCustomPlot)
{
    setObjectName(QStringLiteral("storedRouting"));
    message_->setObjectName(QStringLiteral("storedRoutingMessage"));
    message_->setWordWrap(true);
    loadPlot_->setObjectName(QStringLiteral("storedExpertLoad"));
    taskPlot_->setObjectName(QStringLiteral("storedTaskExpert"));
    loadMap_ = addHeatmap(loadPlot_, QString(), tr("share of assignments"));
    taskMap_ = addHeatmap(taskPlot_, QString(), tr("share of the task"));
    installPlotExportMenu(loadPlot_, QStringLiteral("expert_load"));
    installPlotExportMenu(taskPlot_, QStringLiteral("task_expert"));
    auto *plots = new QHBoxLayout;
    plots->addWidget(loadPlot_, 3);
    plots->addWidget(taskPlot_, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(message_);
    layout->addLayout(plots, 1);
    showRun(0);
}

struct StoredRoutingView::Routing
{
    QStringList layers;
    QStringList tasks;
    QVector<double> loads;
    QVector<double> shares;
    int experts = 0;
    std::int64_t loadStep = 0;
    std::int64_t taskStep = 0;
};

void StoredRoutingView::showRun(std::int64_t runId)
{
    const quint64 generation = ++generation_;
    if (store_ == nullptr || runId <= 0) {
        loading_ = false;
        apply(runId, {}, {});
        return;
    }
    loading_ = true;
    store_->run<Routing>(
        this,
        [runId](lwb::storage::RunStore &store, const StoreTaskControl &) {
            lwb::storage::MetricReader reader(store);
            Routing routing;
            readLatest(reader, runId, series::kExpertLoad, routing.layers, routing.loads, routing.experts,
                       routing.loadStep);
            int taskExperts = routing.experts;
            readLatest(reader, runId, series::kTaskExpertShare, routing.tasks, routing.shares, taskExperts,
                       routing.taskStep);
            if (routing.experts == 0)
                routing.experts = taskExperts;
            return routing;
        },
        [this, runId, generation](StoreOutcome<Routing> outcome) {
            if (generation != generation_)
                return;
            loading_ = false;
            apply(runId, outcome.value ? std::move(*outcome.value) : Routing{}, outcome.error);
        });
}

void StoredRoutingView::apply(std::int64_t runId, Routing routing, const QString &error)
{
    layers_ = std::move(routing.layers);
    tasks_ = std::move(routing.tasks);
    loads_ = std::move(routing.loads);
    shares_ = std::move(routing.shares);
    experts_ = routing.experts;
    loadStep_ = routing.loadStep;
    taskStep_ = routing.taskStep;
    message_->clear();
    if (!error.isEmpty())
        message_->setText(tr("Cannot read the routing of run #%1: %2").arg(runId).arg(error));
    const bool any = !layers_.isEmpty() || !tasks_.isEmpty();
    if (any)
        message_->setText(tr("Run #%1: expert load at step %2 (the last recorded), task × expert at the last "
                             "evaluation (step %3).")
                              .arg(runId)
                              .arg(loadStep_)
                              .arg(taskStep_));
    else if (runId > 0 && message_->text().isEmpty())
        message_->setText(tr("Run #%1 has no routing: only mixture runs (SiRA) route tokens to experts.").arg(runId));
    else if (runId <= 0)
        message_->setText(tr("Compare a mixture run (SiRA) to see its routing here."));
    loadPlot_->setVisible(!layers_.isEmpty());
    taskPlot_->setVisible(!tasks_.isEmpty());
    draw(loadPlot_, loadMap_, layers_, loads_, tr("Expert load (step %1)").arg(loadStep_));
    draw(taskPlot_, taskMap_, tasks_, shares_, tr("Task × expert (eval, step %1)").arg(taskStep_));
}

void StoredRoutingView::draw(QCustomPlot *plot, QCPColorMap *map, const QStringList &rows,
                             const QVector<double> &values, const QString &title)
{
    QStringList labels;
    for (const QString &row : rows)
        labels << shortLayerName(row);
    setHeatmapShape(plot, map, labels, experts_);
    for (int row = 0; row < rows.size(); ++row)
        for (int expert = 0; expert < experts_; ++expert)
            map->data()->setCell(expert, row, values.at(row * experts_ + expert));
    map->rescaleDataRange(true);
    if (auto *heading = qobject_cast<QCPTextElement *>(plot->plotLayout()->element(0, 0)))
        heading->setText(title);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace lwb::ui
