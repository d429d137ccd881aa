// See plot_parts.h.
#include "ui/plot_parts.h"

#include <qcustomplot.h>

#include <algorithm>

namespace lwb::ui {

QCPTextElement *addPlotTitle(QCustomPlot *plot, const QString &text)
{
    auto *title = new QCPTextElement(plot, text, QFont(plot->font().family(), -1, QFont::Bold));
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, title);
    return title;
}

QVector<QCPGraphData> toGraphData(const QVector<QPointF> &points)
{
    QVector<QCPGraphData> data;
    data.reserve(points.size());
    for (const auto &point : points)
        data.push_back(QCPGraphData(point.x(), point.y()));
    return data;
}

QCPColorMap *addHeatmap(QCustomPlot *plot, const QString &title, const QString &scaleLabel)
{
    addPlotTitle(plot, title);
    plot->xAxis->setLabel(QObject::tr("expert"));
    plot->yAxis->setRangeReversed(true);                            // first row on top, as in the model / the task list
    plot->yAxis->setTickLabelFont(QFont(plot->font().family(), 7)); // one label per row
    auto *map = new QCPColorMap(plot->xAxis, plot->yAxis);
    auto *scale = new QCPColorScale(plot);
    plot->plotLayout()->addElement(1, 1, scale);
    scale->setLabel(scaleLabel);
    map->setColorScale(scale);
    map->setGradient(QCPColorGradient(QCPColorGradient::gpThermal));
    map->setInterpolate(false);
    map->setTightBoundary(false); // data range = cell centres: every cell whole, centred on its tick
    return map;
}

void setHeatmapShape(QCustomPlot *plot, QCPColorMap *map, const QStringList &rows, int columns)
{
    const int height = std::max(1, static_cast<int>(rows.size()));
    const int width = std::max(1, columns);
    map->data()->setSize(width, height);
    map->data()->setRange(QCPRange(0, width - 1), QCPRange(0, height - 1));
    plot->xAxis->setRange(-0.5, width - 0.5);
    plot->yAxis->setRange(-0.5, height - 0.5);
    // At most ~16 row names fit a dock's height; a deeper model (42 adapted
    // layers of a 6-block Llama) names every k-th row so the names stay legible.
    constexpr int kMaxRowLabels = 16;
    const int stride = (static_cast<int>(rows.size()) + kMaxRowLabels - 1) / kMaxRowLabels;
    QSharedPointer<QCPAxisTickerText> rowTicks(new QCPAxisTickerText);
    for (int row = 0; row < rows.size(); row += std::max(1, stride))
        rowTicks->addTick(row, rows[row]);
    plot->yAxis->setTicker(rowTicks);
    QSharedPointer<QCPAxisTickerText> columnTicks(new QCPAxisTickerText);
    for (int column = 0; column < columns; ++column)
        columnTicks->addTick(column, QString::number(column));
    plot->xAxis->setTicker(columnTicks);
}

void setHeatmapColumns(QCustomPlot *plot, const QStringList &columns, const QString &axisLabel)
{
    QSharedPointer<QCPAxisTickerText> columnTicks(new QCPAxisTickerText);
    for (int column = 0; column < columns.size(); ++column)
        columnTicks->addTick(column, columns[column]);
    plot->xAxis->setTicker(columnTicks);
    plot->xAxis->setTickLabelFont(plot->yAxis->tickLabelFont()); // the rows' small font: names side by side fit
    plot->xAxis->setLabel(axisLabel);
}

} // namespace lwb::ui
