// Plot and table export: what a researcher takes from the workbench into a
// paper — a plot as an image (PNG, JPEG) or a vector figure (PDF), the data
// behind a plot as CSV, and any table as CSV.
//
// installPlotExportMenu() gives a QCustomPlot the right-click menu "Save image…
// / Save data as CSV…", so every plot in the window exports the same way.
// The functions below it do the work and are what the tests call.
#pragma once

#include <QString>

class QAbstractItemModel;
class QCustomPlot;
class QTableWidget;
class QWidget;

namespace lwb::ui {

// Writes the plot as it is drawn, at its on-screen size; the format comes from
// the suffix (.png, .jpg/.jpeg, .pdf, .svg). False with *error set when it cannot.
bool savePlotImage(QCustomPlot *plot, const QString &path, QString *error);

// Every graph's points as CSV: header "series,x,y", one row per point, the
// graph's name as series. NaN gaps are skipped.
QString plotDataCsv(const QCustomPlot *plot);

// A table's header and display texts as CSV (RFC 4180 quoting).
QString tableCsv(const QAbstractItemModel &model);
QString tableCsv(const QTableWidget &table);

// Writes text as UTF-8, replacing the file only once it is complete.
bool writeTextFile(const QString &path, const QString &text, QString *error);

// Right-click menu on the plot: Save image…, Save data as CSV….
void installPlotExportMenu(QCustomPlot *plot, const QString &suggestedName);

} // namespace lwb::ui
