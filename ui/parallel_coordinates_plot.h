// ParallelCoordinatesPlot: a study's cells as parallel coordinates — one
// vertical axis per swept config path and a last one for the study metric,
// one polyline per cell through its settings and its mean over finished
// seeds, coloured by that mean (dark: better). It shows at a glance which
// settings go with good values, and how they interact, where a table of many
// cells does not.
//
// Each axis is scaled to [0, 1] on its own: a numeric path linearly between
// its smallest and largest value (logarithmically for a path whose values are
// all > 0 and span more than a factor of 20, such as a learning rate), a
// path with any non-numeric value as evenly spaced categories in the order
// the study names them. A cell without a finished seed has no metric and is
// drawn dashed up to the last settings axis. The layout is computed by
// parallelCoordinatesOf (pure, tested) and drawn on QCustomPlot.
#pragma once

#include "storage/study_summary.h"

#include <nlohmann/json.hpp>

#include <QString>
#include <QVector>

#include <qcustomplot.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lwb::ui {

// A cell's settings text ([[path, value], ...]) as pairs; empty for text that is not one.
std::vector<std::pair<std::string, nlohmann::json>> studyCellSettings(const std::string &cellKey);

struct ParallelAxis
{
    QString name; // the config path, or the metric
    bool logarithmic = false;
    QVector<std::pair<double, QString>> ticks; // position in [0, 1] and its label
};

struct ParallelLine
{
    std::size_t cellIndex = 0;
    QVector<double> positions;    // one per axis in [0, 1]; NaN where the cell has no value
    std::optional<double> metric; // the cell's mean; none without a finished seed
};

struct ParallelCoordinates
{
    std::vector<ParallelAxis> axes;  // the swept paths in study order, then the metric
    std::vector<ParallelLine> lines; // by cell index
    double metricLow = 0.0;          // the metric axis' range (mean values)
    double metricHigh = 0.0;
};

ParallelCoordinates parallelCoordinatesOf(const lwb::storage::StudySummary &summary);

class ParallelCoordinatesPlot : public QCustomPlot
{
    Q_OBJECT

public:
    explicit ParallelCoordinatesPlot(QWidget *parent = nullptr);

    void setSummary(const lwb::storage::StudySummary &summary);
    const ParallelCoordinates &layout() const { return layout_; }

private:
    ParallelCoordinates layout_;
};

} // namespace lwb::ui
