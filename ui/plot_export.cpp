// See plot_export.h.
#include "ui/plot_export.h"

#include <qcustomplot.h>

#include <QAbstractItemModel>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTableWidget>

#include <cmath>

namespace lwb::ui {

namespace {

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString csvLine(const QStringList &fields)
{
    QStringList quoted;
    for (const QString &field : fields)
        quoted << csvField(field);
    return quoted.join(QLatin1Char(',')) + QLatin1Char('\n');
}

QString number(double value)
{
    return QString::number(value, 'g', 10);
}

// QCustomPlot draws vectors onto any QPaintDevice; QSvgGenerator records
// them as SVG. Written to a temporary name first, like every other export.
bool saveSvg(QCustomPlot *plot, const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(plot->size());
    svg.setViewBox(QRect(QPoint(0, 0), plot->size()));
    svg.setTitle(plot->objectName());
    QCPPainter painter;
    if (!painter.begin(&svg))
        return false;
    plot->toPainter(&painter, plot->width(), plot->height());
    painter.end();
    return file.commit();
}

} // namespace

bool savePlotImage(QCustomPlot *plot, const QString &path, QString *error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool written = false;
    if (suffix == QLatin1String("png"))
        written = plot->savePng(path);
    else if (suffix == QLatin1String("jpg") || suffix == QLatin1String("jpeg"))
        written = plot->saveJpg(path);
    else if (suffix == QLatin1String("pdf"))
        written = plot->savePdf(path);
    else if (suffix == QLatin1String("svg"))
        written = saveSvg(plot, path);
    else {
        *error = QObject::tr("%1: unknown image format \"%2\" (use .png, .jpg, .pdf or .svg)").arg(path, suffix);
        return false;
    }
    if (!written)
        *error = QObject::tr("%1: the plot could not be written").arg(path);
    return written;
}

QString plotDataCsv(const QCustomPlot *plot)
{
    QString csv = csvLine({QStringLiteral("series"), QStringLiteral("x"), QStringLiteral("y")});
    for (int i = 0; i < plot->graphCount(); ++i) {
        const QCPGraph *graph = plot->graph(i);
        const QString name = graph->name().isEmpty() ? QStringLiteral("graph %1").arg(i + 1) : graph->name();
        for (auto point = graph->data()->constBegin(); point != graph->data()->constEnd(); ++point) {
            if (std::isnan(point->value))
                continue;
            csv += csvLine({name, number(point->key), number(point->value)});
        }
    }
    return csv;
}

QString tableCsv(const QAbstractItemModel &model)
{
    QStringList header;
    for (int column = 0; column < model.columnCount(); ++column)
        header << model.headerData(column, Qt::Horizontal).toString();
    QString csv = csvLine(header);
    for (int row = 0; row < model.rowCount(); ++row) {
        QStringList fields;
        for (int column = 0; column < model.columnCount(); ++column)
            fields << model.data(model.index(row, column)).toString();
        csv += csvLine(fields);
    }
    return csv;
}

QString tableCsv(const QTableWidget &table)
{
    return tableCsv(*table.model());
}

bool writeTextFile(const QString &path, const QString &text, QString *error)
{
    QSaveFile file(path);
    const QByteArray bytes = text.toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        *error = QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

void installPlotExportMenu(QCustomPlot *plot, const QString &suggestedName)
{
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(plot, &QWidget::customContextMenuRequested, plot, [plot, suggestedName](const QPoint &position) {
        auto *menu = new QMenu(plot);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->addAction(QObject::tr("Save image…"), plot, [plot, suggestedName] {
            const QString path
                = QFileDialog::getSaveFileName(plot, QObject::tr("Save plot"), suggestedName + QStringLiteral(".png"),
                                               QObject::tr("Images (*.png *.jpg);;PDF (*.pdf);;SVG (*.svg)"));
            QString error;
            if (!path.isEmpty() && !savePlotImage(plot, path, &error))
                QMessageBox::warning(plot, QObject::tr("Save plot"), error);
        });
        menu->addAction(QObject::tr("Save data as CSV…"), plot, [plot, suggestedName] {
            const QString path
                = QFileDialog::getSaveFileName(plot, QObject::tr("Save plot data"),
                                               suggestedName + QStringLiteral(".csv"), QObject::tr("CSV (*.csv)"));
            QString error;
            if (!path.isEmpty() && !writeTextFile(path, plotDataCsv(plot), &error))
                QMessageBox::warning(plot, QObject::tr("Save plot data"), error);
        });
        menu->popup(plot->mapToGlobal(position));
    });
}

} // namespace lwb::ui
