// ComparedRuns: what the compare view's parts — the curve panel
// (compare_curves_panel.h) and the tables (compare_tables.h) — share about the
// runs on show: their ids, legend labels and seed groups, and the colour each
// run (or group) is drawn in, so that the title, the curves and the bars agree.
#pragma once

#include <QColor>
#include <QStringList>
#include <QVector>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace lwb::ui {

struct ComparedRuns
{
    QVector<qint64> ids;
    QStringList labels;                           // "#3 lora-s1", by run index
    std::vector<std::vector<std::size_t>> groups; // seed groups as run indices, in the order of their first run
    QStringList groupLabels;                      // "#3 lora-s1 +2 (n=3)", by group

    // Some group has two or more runs (only then is there a band to draw).
    bool hasSeedGroups() const
    {
        return std::any_of(groups.begin(), groups.end(), [](const auto &group) { return group.size() >= 2; });
    }
};

// The colour of run (or group) `index`: Tableau 10, distinguishable on light
// and dark backgrounds, cycling for more runs.
inline QColor compareColor(int index)
{
    static const QColor kPalette[] = {
        QColor(31, 119, 180), QColor(255, 127, 14),  QColor(44, 160, 44),   QColor(214, 39, 40),  QColor(148, 103, 189),
        QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34), QColor(23, 190, 207)};
    constexpr int kCount = int(sizeof(kPalette) / sizeof(kPalette[0]));
    return kPalette[index % kCount];
}

} // namespace lwb::ui
