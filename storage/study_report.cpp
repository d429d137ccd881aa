// See study_report.h.
#include "storage/study_report.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace lwb::storage {
namespace {

std::string number(double value, int digits = 6)
{
    if (std::isnan(value))
        return "";
    char text[64];
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    return text;
}

std::string csvField(const std::string &text)
{
    if (text.find_first_of(",\"\n\r") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string html(const std::string &text)
{
    std::string escaped;
    for (char c : text) {
        switch (c) {
        case '&':
            escaped += "&amp;";
            break;
        case '<':
            escaped += "&lt;";
            break;
        case '>':
            escaped += "&gt;";
            break;
        case '"':
            escaped += "&quot;";
            break;
        case '\'':
            escaped += "&#39;";
            break;
        default:
            escaped += c;
        }
    }
    return escaped;
}

// Writes `content` to `path` through a temporary file in the same folder.
void writeAtomically(const std::string &path, const std::string &content)
{
    const std::string temporary = path + ".part";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error(path, "cannot write the study report here");
        out << content;
        out.flush();
        if (!out)
            throw Error(path, "writing the study report failed (disk full?)");
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::filesystem::remove(temporary, error);
        throw Error(path, "cannot replace the study report: " + error.message());
    }
}

// The cell's name in tables and charts: the study's label for it, else its settings.
std::string cellName(const StudySummary &summary, const StudyCellSummary &cell)
{
    return cell.cellIndex < summary.cellLabels.size() ? summary.cellLabels[cell.cellIndex] : studyCellLabel(cell.cell);
}

std::string parameterCount(const StudyCellSummary &cell)
{
    if (cell.seeds.empty())
        return "";
    if (cell.trainableParametersMin == cell.trainableParametersMax)
        return std::to_string(cell.trainableParametersMin);
    return std::to_string(cell.trainableParametersMin) + ".." + std::to_string(cell.trainableParametersMax);
}

// One table per measure: mean, interval, missing seeds, the paired comparison.
std::string measureTable(const StudySummary &summary, std::size_t m, int confidencePercent)
{
    const auto &measure = summary.measures[m];
    std::ostringstream table;
    table << "<h3>" << html(measure.name()) << "</h3>\n<p>" << (measure.higherIsBetter() ? "higher" : "lower")
          << " is better; a seed without a value (target not reached, no merged evaluation) is left out of the "
             "mean and of the pairs.</p>\n<table><tr><th>cell</th><th>name</th><th>seeds</th><th>without</th>"
             "<th>mean</th><th>"
          << confidencePercent
          << " % CI</th><th>sd</th><th>values by seed</th><th>vs baseline</th><th>CI of difference</th><th>p</th>"
             "</tr>\n";
    for (const auto &cell : summary.cells) {
        const auto &result = cell.measures[m];
        const auto &interval = result.interval;
        const bool isBaseline = static_cast<int>(cell.cellIndex) == summary.baselineCell;
        std::string bySeed;
        for (std::size_t i = 0; i < result.values.size(); ++i)
            bySeed += (i ? ", " : "") + std::to_string(result.seeds[i]) + ": " + number(result.values[i], 5);
        table << "<tr" << (isBaseline ? " class='baseline'" : "") << "><td>c" << cell.cellIndex << "</td><td>"
              << html(cellName(summary, cell)) << (isBaseline ? " (baseline)" : "") << "</td><td>" << interval.count
              << "</td><td>" << result.missing << "</td><td>" << number(interval.mean, 5) << "</td><td>"
              << (interval.count >= 2 ? number(interval.low, 5) + " .. " + number(interval.high, 5) : "") << "</td><td>"
              << number(interval.standardDeviation, 3) << "</td><td>" << html(bySeed) << "</td>";
        if (result.vsBaseline)
            table << "<td>" << number(result.vsBaseline->meanDifference, 4) << "</td><td>"
                  << number(result.vsBaseline->low, 4) << " .. " << number(result.vsBaseline->high, 4) << "</td><td>"
                  << number(result.vsBaseline->pValue, 3) << "</td>";
        else
            table << "<td></td><td></td><td></td>";
        table << "</tr>\n";
    }
    table << "</table>\n";
    return table.str();
}

nlohmann::json cellSettings(const std::string &cellKey)
{
    auto settings = nlohmann::json::parse(cellKey, nullptr, false);
    return settings.is_array() ? settings : nlohmann::json::array();
}

// Value range of everything plotted, padded a little.
std::pair<double, double> plotRange(const StudySummary &summary)
{
    double low = INFINITY;
    double high = -INFINITY;
    for (const auto &cell : summary.cells) {
        for (double value : cell.values) {
            low = std::min(low, value);
            high = std::max(high, value);
        }
        if (cell.values.size() >= 2) {
            low = std::min(low, cell.interval.low);
            high = std::max(high, cell.interval.high);
        }
    }
    if (!(low <= high))
        return {0.0, 1.0};
    const double pad = high > low ? 0.05 * (high - low) : std::max(1e-9, std::abs(high) * 0.05 + 1e-9);
    return {low - pad, high + pad};
}

// Horizontal chart: one row per cell, the mean as a bar end with its
// interval as a whisker, and each seed's value as a dot.
std::string meansChart(const StudySummary &summary)
{
    const auto range = plotRange(summary); // no structured binding: C++17 lambdas cannot capture one (clang)
    const double low = range.first, high = range.second;
    const int rowHeight = 22;
    const int labelWidth = 320;
    const int plotWidth = 420;
    const int height = rowHeight * static_cast<int>(summary.cells.size()) + 40;
    auto x = [&](double value) { return labelWidth + (value - low) / (high - low) * plotWidth; };
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << labelWidth + plotWidth + 20 << "' height='" << height
        << "' font-family='sans-serif' font-size='11'>\n";
    for (std::size_t i = 0; i < summary.cells.size(); ++i) {
        const auto &cell = summary.cells[i];
        const double y = 10 + rowHeight * static_cast<double>(i) + rowHeight / 2.0;
        const bool isBaseline = static_cast<int>(i) == summary.baselineCell;
        svg << "<text x='4' y='" << y + 4 << "'" << (isBaseline ? " font-weight='bold'" : "") << ">"
            << html("c" + std::to_string(i) + " " + cellName(summary, cell)) << "</text>\n";
        if (cell.values.empty())
            continue;
        svg << "<rect x='" << labelWidth << "' y='" << y - 6 << "' width='"
            << std::max(0.0, x(cell.interval.mean) - labelWidth) << "' height='12' fill='"
            << (isBaseline ? "#9bb7d4" : "#c9d8e8") << "'/>\n";
        if (cell.values.size() >= 2)
            svg << "<line x1='" << x(cell.interval.low) << "' x2='" << x(cell.interval.high) << "' y1='" << y
                << "' y2='" << y << "' stroke='#203040' stroke-width='2'/>\n";
        for (double value : cell.values)
            svg << "<circle cx='" << x(value) << "' cy='" << y << "' r='2.5' fill='#c03030'/>\n";
    }
    const double axisY = height - 22;
    svg << "<line x1='" << labelWidth << "' x2='" << labelWidth + plotWidth << "' y1='" << axisY << "' y2='" << axisY
        << "' stroke='black'/>\n";
    for (int tick = 0; tick <= 4; ++tick) {
        const double value = low + (high - low) * tick / 4.0;
        svg << "<text x='" << x(value) << "' y='" << axisY + 14 << "' text-anchor='middle'>" << number(value, 4)
            << "</text>\n";
    }
    svg << "</svg>\n";
    return svg.str();
}

// One scatter per numeric setting: the setting's value against each seed's
// metric (log axis when the values span more than a factor of 20 and are > 0).
std::string axisScatter(const StudySummary &summary, const std::string &path)
{
    std::vector<std::pair<double, double>> points;
    for (const auto &cell : summary.cells)
        for (const auto &setting : cellSettings(cell.cell))
            if (setting.size() == 2 && setting[0] == path && setting[1].is_number())
                for (double value : cell.values)
                    points.emplace_back(setting[1].get<double>(), value);
    if (points.empty())
        return "";
    double xLow = INFINITY, xHigh = -INFINITY;
    for (const auto &point : points) {
        xLow = std::min(xLow, point.first);
        xHigh = std::max(xHigh, point.first);
    }
    const bool logAxis = xLow > 0 && xHigh / xLow > 20.0;
    auto xOf = [&](double v) { return logAxis ? std::log10(v) : v; };
    double a = xOf(xLow), b = xOf(xHigh);
    if (a == b) {
        a -= 1;
        b += 1;
    }
    const auto [low, high] = plotRange(summary);
    const int width = 360, height = 220, left = 50, bottom = 30;
    std::ostringstream svg;
    svg << "<figure><svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
        << "' font-family='sans-serif' font-size='11'>\n";
    svg << "<rect x='" << left << "' y='5' width='" << width - left - 10 << "' height='" << height - bottom - 5
        << "' fill='none' stroke='#888'/>\n";
    for (const auto &[settingValue, metricValue] : points) {
        const double px = left + 5 + (xOf(settingValue) - a) / (b - a) * (width - left - 20);
        const double py = 5 + (high - metricValue) / (high - low) * (height - bottom - 5);
        svg << "<circle cx='" << px << "' cy='" << py << "' r='3' fill='#3060c0' fill-opacity='0.7'/>\n";
    }
    svg << "<text x='" << left << "' y='" << height - 8 << "'>" << number(xLow, 4) << "</text>";
    svg << "<text x='" << width - 10 << "' y='" << height - 8 << "' text-anchor='end'>" << number(xHigh, 4)
        << "</text>";
    svg << "<text x='4' y='14'>" << number(high, 4) << "</text><text x='4' y='" << height - bottom << "'>"
        << number(low, 4) << "</text>\n</svg><figcaption>" << html(summary.metric) << " against " << html(path)
        << (logAxis ? " (log scale)" : "") << "</figcaption></figure>\n";
    return svg.str();
}

} // namespace

std::string studyCellLabel(const std::string &cellKey)
{
    std::string label;
    for (const auto &setting : cellSettings(cellKey))
        if (setting.is_array() && setting.size() == 2 && setting[0].is_string())
            label += (label.empty() ? "" : " ") + setting[0].get<std::string>() + "=" + setting[1].dump();
    return label.empty() ? "base" : label;
}

void writeStudyCsv(const StudySummary &summary, const std::string &path)
{
    std::ostringstream csv;
    csv << "cell,settings,seed,run_id,value\n";
    for (const auto &cell : summary.cells)
        for (std::size_t i = 0; i < cell.values.size(); ++i)
            csv << cell.cellIndex << "," << csvField(studyCellLabel(cell.cell)) << "," << cell.seeds[i] << ","
                << cell.runIds[i] << "," << number(cell.values[i], 10) << "\n";
    csv << "\ncell,settings,summary,n,mean,ci_low,ci_high,sd,min,max,diff_vs_baseline,diff_low,diff_high,p_value,"
           "trainable_parameters,label\n";
    for (const auto &cell : summary.cells) {
        const auto &interval = cell.interval;
        csv << cell.cellIndex << "," << csvField(studyCellLabel(cell.cell)) << ",mean," << interval.count << ","
            << number(interval.mean, 10) << "," << number(interval.low, 10) << "," << number(interval.high, 10) << ","
            << number(interval.standardDeviation, 10) << "," << number(interval.minimum, 10) << ","
            << number(interval.maximum, 10);
        if (cell.vsBaseline)
            csv << "," << number(cell.vsBaseline->meanDifference, 10) << "," << number(cell.vsBaseline->low, 10) << ","
                << number(cell.vsBaseline->high, 10) << "," << number(cell.vsBaseline->pValue, 6);
        else
            csv << ",,,,";
        csv << "," << parameterCount(cell) << "," << csvField(cellName(summary, cell)) << "\n";
    }
    if (!summary.measures.empty()) {
        csv << "\ncell,label,measure,seed,value\n";
        for (std::size_t m = 0; m < summary.measures.size(); ++m)
            for (const auto &cell : summary.cells)
                for (std::size_t i = 0; i < cell.measures[m].values.size(); ++i)
                    csv << cell.cellIndex << "," << csvField(cellName(summary, cell)) << ","
                        << csvField(summary.measures[m].name()) << "," << cell.measures[m].seeds[i] << ","
                        << number(cell.measures[m].values[i], 10) << "\n";
        csv << "\ncell,label,measure,n,without_value,mean,ci_low,ci_high,sd,min,max,diff_vs_baseline,diff_low,"
               "diff_high,p_value\n";
        for (std::size_t m = 0; m < summary.measures.size(); ++m)
            for (const auto &cell : summary.cells) {
                const auto &result = cell.measures[m];
                const auto &interval = result.interval;
                csv << cell.cellIndex << "," << csvField(cellName(summary, cell)) << ","
                    << csvField(summary.measures[m].name()) << "," << interval.count << "," << result.missing << ","
                    << number(interval.mean, 10) << "," << number(interval.low, 10) << "," << number(interval.high, 10)
                    << "," << number(interval.standardDeviation, 10) << "," << number(interval.minimum, 10) << ","
                    << number(interval.maximum, 10);
                if (result.vsBaseline)
                    csv << "," << number(result.vsBaseline->meanDifference, 10) << ","
                        << number(result.vsBaseline->low, 10) << "," << number(result.vsBaseline->high, 10) << ","
                        << number(result.vsBaseline->pValue, 6);
                else
                    csv << ",,,,";
                csv << "\n";
            }
    }
    writeAtomically(path, csv.str());
}

void writeStudyHtml(const StudySummary &summary, const std::string &path)
{
    const int confidencePercent = static_cast<int>(std::lround(summary.confidence * 100));
    std::ostringstream page;
    page << "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>" << html(summary.study.name)
         << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
            "td:nth-child(2),th:nth-child(2){text-align:left}figure{display:inline-block;margin:0 1em 1em 0}"
            "tr.baseline{font-weight:bold}</style></head><body>\n";
    page << "<h1>Study: " << html(summary.study.name) << "</h1>\n<p>Metric <code>" << html(summary.metric)
         << "</code> (" << (summary.higherIsBetter ? "higher" : "lower")
         << " is better), final value of each finished run; mean with its " << confidencePercent
         << " % Student-t interval over seeds; the comparison with the baseline is paired by seed "
         << "(difference, its interval, two-sided paired t-test).</p>\n";
    page << "<table><tr><th>cell</th><th>" << (summary.cellLabels.empty() ? "settings" : "name")
         << "</th><th>trainable</th><th>seeds</th><th>mean</th><th>" << confidencePercent
         << " % CI</th><th>sd</th><th>min</th><th>max</th><th>vs baseline</th><th>CI of difference</th><th>p</th>"
            "<th>pending</th><th>failed</th></tr>\n";
    for (const auto &cell : summary.cells) {
        const auto &interval = cell.interval;
        const bool isBaseline = static_cast<int>(cell.cellIndex) == summary.baselineCell;
        page << "<tr" << (isBaseline ? " class='baseline'" : "") << "><td>c" << cell.cellIndex << "</td><td>"
             << html(cellName(summary, cell)) << (isBaseline ? " (baseline)" : "") << "</td><td>"
             << parameterCount(cell) << "</td><td>" << interval.count << "</td><td>" << number(interval.mean, 5)
             << "</td><td>" << (interval.count >= 2 ? number(interval.low, 5) + " .. " + number(interval.high, 5) : "")
             << "</td><td>" << number(interval.standardDeviation, 3) << "</td><td>" << number(interval.minimum, 5)
             << "</td><td>" << number(interval.maximum, 5) << "</td>";
        if (cell.vsBaseline)
            page << "<td>" << number(cell.vsBaseline->meanDifference, 4) << "</td><td>"
                 << number(cell.vsBaseline->low, 4) << " .. " << number(cell.vsBaseline->high, 4) << "</td><td>"
                 << number(cell.vsBaseline->pValue, 3) << "</td>";
        else
            page << "<td></td><td></td><td></td>";
        page << "<td>" << cell.pendingRuns << "</td><td>" << cell.failedRuns << "</td></tr>\n";
    }
    page << "</table>\n";
    if (!summary.measures.empty()) {
        page << "<h2>Measures</h2>\n";
        for (std::size_t m = 0; m < summary.measures.size(); ++m)
            page << measureTable(summary, m, confidencePercent);
    }
    if (!summary.cellLabels.empty()) {
        page << "<h2>Cells</h2>\n<table><tr><th>cell</th><th>name</th><th>settings</th></tr>\n";
        for (const auto &cell : summary.cells)
            page << "<tr><td>c" << cell.cellIndex << "</td><td>" << html(cellName(summary, cell)) << "</td><td><code>"
                 << html(studyCellLabel(cell.cell)) << "</code></td></tr>\n";
        page << "</table>\n";
    }
    page << "<h2>Means, intervals and seeds</h2>\n" << meansChart(summary);
    std::vector<std::string> numericAxes;
    for (const auto &cell : summary.cells)
        for (const auto &setting : cellSettings(cell.cell))
            if (setting.size() == 2 && setting[1].is_number() && setting[0].is_string()
                && std::find(numericAxes.begin(), numericAxes.end(), setting[0].get<std::string>())
                       == numericAxes.end())
                numericAxes.push_back(setting[0].get<std::string>());
    if (!numericAxes.empty()) {
        page << "<h2>Settings against the metric</h2>\n";
        for (const auto &axis : numericAxes)
            page << axisScatter(summary, axis);
    }
    page << "<h2>The study file</h2>\n<pre>"
         << html(nlohmann::json::parse(summary.study.specJson, nullptr, false).dump(2)) << "</pre>\n</body></html>\n";
    writeAtomically(path, page.str());
}

} // namespace lwb::storage
