// The pieces every plot of the workbench is built from, so they look and
// behave alike: a bold title row, a series' display points as graph data, and
// the heatmap (rows x experts, first row on top, thermal colours, a labelled
// colour scale) with its text ticks.
#pragma once

#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>

class QCPColorMap;
class QCPGraphData;
class QCPTextElement;
class QCustomPlot;

namespace lwb::ui {

// Inserts a title row above the axes; returns it (setText() for a new title).
QCPTextElement *addPlotTitle(QCustomPlot *plot, const QString &text);

QVector<QCPGraphData> toGraphData(const QVector<QPointF> &points);

// A titled heatmap, x labelled "expert", y reversed, colours on a scale with `scaleLabel`.
QCPColorMap *addHeatmap(QCustomPlot *plot, const QString &title, const QString &scaleLabel);

// Sizes the map to rows x columns and labels the rows (every k-th past 16
// rows) and the columns (0..columns-1).
void setHeatmapShape(QCustomPlot *plot, QCPColorMap *map, const QStringList &rows, int columns);

// Names the columns of a heatmap shaped by setHeatmapShape (tasks instead of
// expert numbers) and labels its x axis.
void setHeatmapColumns(QCustomPlot *plot, const QStringList &columns, const QString &axisLabel);

} // namespace lwb::ui
