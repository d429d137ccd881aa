// See parallel_coordinates_plot.h.
#include "ui/parallel_coordinates_plot.h"

#include "storage/study_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace lwb::ui {

namespace {

using nlohmann::json;

constexpr double kLogSpan = 20.0; // a wider positive span is drawn on a log scale
constexpr int kMaxValueTicks = 8; // more distinct values: evenly spaced ticks instead
constexpr int kEvenTicks = 5;

QString valueText(const json &value)
{
    return value.is_string() ? QString::fromStdString(value.get<std::string>()) : QString::fromStdString(value.dump());
}

QString numberText(double value)
{
    return QString::number(value, 'g', 4);
}

// One swept path: where each of its values sits on the axis.
struct PathScale
{
    ParallelAxis axis;
    std::vector<json> categories; // in study order, for a categorical path
    double low = 0.0, high = 0.0; // numeric path (in log10 when logarithmic)
    bool numeric = true;

    double position(const json &value) const
    {
        if (!numeric) {
            const auto found = std::find(categories.begin(), categories.end(), value);
            const auto index = double(found - categories.begin());
            return categories.size() > 1 ? index / double(categories.size() - 1) : 0.5;
        }
        const double x = axis.logarithmic ? std::log10(value.get<double>()) : value.get<double>();
        return high > low ? (x - low) / (high - low) : 0.5;
    }
};

PathScale scaleOf(const std::string &path, const std::vector<json> &values)
{
    PathScale scale;
    scale.axis.name = QString::fromStdString(path);
    scale.numeric = std::all_of(values.begin(), values.end(), [](const json &v) { return v.is_number(); });
    for (const auto &value : values)
        if (std::find(scale.categories.begin(), scale.categories.end(), value) == scale.categories.end())
            scale.categories.push_back(value);
    if (!scale.numeric) {
        for (const auto &category : scale.categories)
            scale.axis.ticks.push_back({scale.position(category), valueText(category)});
        return scale;
    }
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto &value : values) {
        low = std::min(low, value.get<double>());
        high = std::max(high, value.get<double>());
    }
    scale.axis.logarithmic = low > 0 && high / low > kLogSpan;
    scale.low = scale.axis.logarithmic ? std::log10(low) : low;
    scale.high = scale.axis.logarithmic ? std::log10(high) : high;
    if (int(scale.categories.size()) <= kMaxValueTicks) {
        for (const auto &value : scale.categories)
            scale.axis.ticks.push_back({scale.position(value), numberText(value.get<double>())});
    } else {
        for (int i = 0; i < kEvenTicks; ++i) {
            const double t = double(i) / (kEvenTicks - 1);
            const double x = scale.low + t * (scale.high - scale.low);
            scale.axis.ticks.push_back({t, numberText(scale.axis.logarithmic ? std::pow(10.0, x) : x)});
        }
    }
    return scale;
}

} // namespace

std::vector<std::pair<std::string, json>> studyCellSettings(const std::string &cellKey)
{
    std::vector<std::pair<std::string, json>> settings;
    const json document = json::parse(cellKey, nullptr, false);
    if (!document.is_array())
        return settings;
    for (const auto &pair : document)
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string())
            settings.emplace_back(pair[0].get<std::string>(), pair[1]);
    return settings;
}

ParallelCoordinates parallelCoordinatesOf(const lwb::storage::StudySummary &summary)
{
    // The paths in the order the cells name them, with every value each takes.
    std::vector<std::string> paths;
    std::map<std::string, std::vector<json>> values;
    for (const auto &cell : summary.cells)
        for (const auto &[path, value] : studyCellSettings(cell.cell)) {
            if (!values.count(path))
                paths.push_back(path);
            values[path].push_back(value);
        }
    std::vector<PathScale> scales;
    for (const auto &path : paths)
        scales.push_back(scaleOf(path, values[path]));

    ParallelCoordinates layout;
    for (const auto &scale : scales)
        layout.axes.push_back(scale.axis);
    layout.metricLow = std::numeric_limits<double>::infinity();
    layout.metricHigh = -layout.metricLow;
    for (const auto &cell : summary.cells)
        if (cell.interval.count > 0) {
            layout.metricLow = std::min(layout.metricLow, cell.interval.mean);
            layout.metricHigh = std::max(layout.metricHigh, cell.interval.mean);
        }
    if (!(layout.metricLow <= layout.metricHigh))
        layout.metricLow = layout.metricHigh = 0.0; // no cell has a finished seed yet
    const double span = layout.metricHigh - layout.metricLow;
    ParallelAxis metricAxis;
    metricAxis.name = QString::fromStdString(summary.metric) + QObject::tr(" (mean)");
    for (int i = 0; i < kEvenTicks && span > 0; ++i) {
        const double t = double(i) / (kEvenTicks - 1);
        metricAxis.ticks.push_back({t, numberText(layout.metricLow + t * span)});
    }
    if (span == 0 && layout.metricHigh != 0.0)
        metricAxis.ticks.push_back({0.5, numberText(layout.metricHigh)});
    layout.axes.push_back(metricAxis);

    for (const auto &cell : summary.cells) {
        ParallelLine line;
        line.cellIndex = cell.cellIndex;
        const auto settings = studyCellSettings(cell.cell);
        for (const auto &scale : scales) {
            const auto found = std::find_if(settings.begin(), settings.end(), [&](const auto &setting) {
                return setting.first == scale.axis.name.toStdString();
            });
            line.positions << (found != settings.end() ? scale.position(found->second)
                                                       : std::numeric_limits<double>::quiet_NaN());
        }
        if (cell.interval.count > 0) {
            line.metric = cell.interval.mean;
            line.positions << (span > 0 ? (cell.interval.mean - layout.metricLow) / span : 0.5);
        } else {
            line.positions << std::numeric_limits<double>::quiet_NaN();
        }
        layout.lines.push_back(std::move(line));
    }
    return layout;
}

ParallelCoordinatesPlot::ParallelCoordinatesPlot(QWidget *parent)
    : QCustomPlot(parent)
{
    setObjectName(QStringLiteral("studyParallelCoordinates"));
    setMinimumHeight(200);
    yAxis->setVisible(false);
    xAxis->grid()->setVisible(false);
    xAxis->setTickLabelRotation(0);
}

void ParallelCoordinatesPlot::setSummary(const lwb::storage::StudySummary &summary)
{
    layout_ = parallelCoordinatesOf(summary);
    clearPlottables();
    clearItems();
    const int axisCount = int(layout_.axes.size());
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < axisCount; ++i) {
        const auto &axis = layout_.axes[std::size_t(i)];
        ticker->addTick(i, axis.name + (axis.logarithmic ? tr("\n(log)") : QString()));
        auto *rule = new QCPItemLine(this);
        rule->start->setCoords(i, 0.0);
        rule->end->setCoords(i, 1.0);
        rule->setPen(QPen(QColor(90, 90, 90), 1.2));
        for (const auto &[position, label] : axis.ticks) {
            auto *text = new QCPItemText(this);
            text->position->setCoords(i, position);
            text->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
            text->setPadding(QMargins(4, 0, 0, 0));
            text->setText(label);
            text->setFont(QFont(font().family(), 8));
        }
    }
    xAxis->setTicker(ticker);
    xAxis->setRange(-0.2, std::max(0, axisCount - 1) + 0.6);
    yAxis->setRange(-0.06, 1.06);

    // Better means darker: the colour runs along the metric axis, turned for
    // a metric where higher is better.
    QCPColorGradient gradient; // viridis' ends and middle: dark purple, teal, yellow
    gradient.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    gradient.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
    gradient.setColorStopAt(1.0, QColor(0xfd, 0xe7, 0x25));
    const double span = layout_.metricHigh - layout_.metricLow;
    QVector<double> keys;
    for (int i = 0; i < axisCount; ++i)
        keys << i;
    for (const auto &line : layout_.lines) {
        QCPGraph *graph = addGraph();
        graph->setName(QStringLiteral("c%1").arg(line.cellIndex));
        QColor color(150, 150, 150);
        if (line.metric) {
            const double t = span > 0 ? (*line.metric - layout_.metricLow) / span : 0.5;
            color = gradient.color(summary.higherIsBetter ? 1.0 - t : t, QCPRange(0.0, 1.0));
        }
        QPen pen(color, 2.0);
        if (!line.metric)
            pen.setStyle(Qt::DashLine);
        graph->setPen(pen);
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, 5));
        graph->setData(keys, line.positions, true);
    }
    replot();
}

} // namespace lwb::ui
