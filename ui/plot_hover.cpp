// See plot_hover.h.
#include "ui/plot_hover.h"

#include <qcustomplot.h>

#include <QToolTip>

#include <cmath>
#include <limits>

namespace lwb::ui {

namespace {

constexpr double kReachPixels = 12.0;

} // namespace

QString hoverText(const QCustomPlot *plot, const QPointF &position, const QString &xLabel)
{
    const QCPGraph *bestGraph = nullptr;
    double bestKey = 0.0;
    double bestValue = 0.0;
    double bestDistance = std::numeric_limits<double>::infinity();
    for (int i = 0; i < plot->graphCount(); ++i) {
        const QCPGraph *graph = plot->graph(i);
        if (!graph->visible() || graph->dataCount() == 0)
            continue;
        // Candidates: the points whose keys lie within reach left and right.
        const double from = graph->keyAxis()->pixelToCoord(position.x() - kReachPixels);
        const double to = graph->keyAxis()->pixelToCoord(position.x() + kReachPixels);
        auto point = graph->data()->findBegin(std::min(from, to), false);
        const auto end = graph->data()->findEnd(std::max(from, to), false);
        for (; point != end; ++point) {
            if (std::isnan(point->value))
                continue;
            const double dx = graph->keyAxis()->coordToPixel(point->key) - position.x();
            const double dy = graph->valueAxis()->coordToPixel(point->value) - position.y();
            const double distance = std::hypot(dx, dy);
            if (distance < bestDistance) {
                bestDistance = distance;
                bestGraph = graph;
                bestKey = point->key;
                bestValue = point->value;
            }
        }
    }
    if (bestGraph == nullptr || bestDistance > kReachPixels)
        return {};
    const QString key = xLabel.isEmpty() ? bestGraph->keyAxis()->label() : xLabel;
    const QString name = bestGraph->name().isEmpty() ? QObject::tr("value") : bestGraph->name();
    return QStringLiteral("%1: %2 %3, %4")
        .arg(name, key, QString::number(bestKey, 'g', 10), QString::number(bestValue, 'g', 6));
}

void installHoverValues(QCustomPlot *plot, const QString &xLabel)
{
    plot->setMouseTracking(true);
    QObject::connect(plot, &QCustomPlot::mouseMove, plot, [plot, xLabel](QMouseEvent *event) {
        const QString text = hoverText(plot, event->position(), xLabel);
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, plot);
    });
}

} // namespace lwb::ui
