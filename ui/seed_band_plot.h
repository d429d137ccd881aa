// SeedBandPlot: how CompareView draws a seed group — the runs whose configs
// differ only in their seed — as one mean curve inside a shaded band.
//
// At each x where every run of the group logged (seeds of one config log at
// the same steps) the band spans the runs' minimum to maximum, or the 95 %
// t-interval of their mean (storage/run_statistics.h); an x that some seed did
// not log is left out, since its mean would mix different runs. Kept apart
// from compare_view.cpp so the statistics of the band read on their own.
#pragma once

#include <QColor>
#include <QString>
#include <QVector>

#include <vector>

class QCustomPlot;

namespace lwb::ui {

// One run's series as plotted: x (step, tokens or seconds) and the values.
struct SeriesCurve
{
    QVector<double> x;
    QVector<double> y;
};

// A seed group's curves as one: the x where every run logged, the mean, and
// the band's lower and upper edges.
struct SeedBandCurve
{
    QVector<double> x, mean, low, high;
};

// confidenceInterval: the band is the 95 % CI of the mean (for groups of two
// or more runs); otherwise min-max.
SeedBandCurve seedBandOf(const std::vector<const SeriesCurve *> &runs, bool confidenceInterval);

// Adds the band (two unlisted graphs, filled between them) and the mean curve
// named `name` in `color`; `sparse` series (evaluations) get point markers.
void addSeedBand(QCustomPlot &plot, const SeedBandCurve &curve, const QColor &color, const QString &name, bool sparse);

} // namespace lwb::ui
