// Hover read-out for QCustomPlot line plots: while the mouse moves over the
// plot, a tooltip names the point of any visible graph nearest to the cursor
// (within a few pixels) — "train: step 1200, 2.4812" — so a value can be read
// without exporting the data.
#pragma once

#include <QPointF>
#include <QString>

class QCustomPlot;

namespace lwb::ui {

// xLabel names the key in the tooltip ("step", ...); empty: the x axis label
// at the time of hovering (a plot whose x axis changes).
void installHoverValues(QCustomPlot *plot, const QString &xLabel = {});

// The tooltip text for a cursor position in widget pixels, or "" when no
// point is within reach (what the tooltip shows; tests call it directly).
QString hoverText(const QCustomPlot *plot, const QPointF &position, const QString &xLabel);

} // namespace lwb::ui
