// See seed_band_plot.h.
#include "ui/seed_band_plot.h"

#include "storage/run_statistics.h"

#include <qcustomplot.h>

#include <cmath>
#include <map>

namespace lwb::ui {

SeedBandCurve seedBandOf(const std::vector<const SeriesCurve *> &runs, bool confidenceInterval)
{
    std::map<double, std::vector<double>> byX;
    for (const SeriesCurve *curve : runs)
        for (qsizetype i = 0; i < curve->x.size(); ++i)
            if (std::isfinite(curve->x[i]) && std::isfinite(curve->y[i]))
                byX[curve->x[i]].push_back(curve->y[i]);
    SeedBandCurve result;
    for (const auto &[x, values] : byX) {
        if (values.size() != runs.size())
            continue; // a step some seed did not log: its mean would mix different runs
        const auto interval = lwb::storage::meanInterval(values);
        const bool ci = confidenceInterval && values.size() >= 2;
        result.x << x;
        result.mean << interval.mean;
        result.low << (ci ? interval.low : interval.minimum);
        result.high << (ci ? interval.high : interval.maximum);
    }
    return result;
}

void addSeedBand(QCustomPlot &plot, const SeedBandCurve &curve, const QColor &color, const QString &name, bool sparse)
{
    QCPGraph *low = plot.addGraph();
    low->setPen(Qt::NoPen);
    low->removeFromLegend();
    low->setData(curve.x, curve.low, true);
    QCPGraph *high = plot.addGraph();
    high->setPen(Qt::NoPen);
    high->removeFromLegend();
    QColor fill = color;
    fill.setAlpha(60);
    high->setBrush(fill);
    high->setChannelFillGraph(low);
    high->setData(curve.x, curve.high, true);
    QCPGraph *mean = plot.addGraph();
    mean->setName(name);
    mean->setPen(QPen(color, 1.8));
    if (sparse)
        mean->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    mean->setData(curve.x, curve.mean, true);
}

} // namespace lwb::ui
