// See study_measures.h.
#include "storage/study_measures.h"

#include "storage/metric_samples.h"

#include "engine/core/error.h"

#include <cmath>
#include <cstdio>

namespace lwb::storage {
namespace {

std::string shortNumber(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

StudyMeasure parseMeasure(const nlohmann::json &item, const std::string &where)
{
    if (!item.is_object())
        throw Error(where,
                    "must be an object with \"series\" and at most one of at_step, steps_to, merge_gap, after_merge");
    StudyMeasure measure;
    int kinds = 0;
    for (const auto &[key, value] : item.items()) {
        if (key == "series") {
            if (!value.is_string() || value.get<std::string>().empty())
                throw Error(where + ".series", "must be a series name such as \"eval/loss\"");
            measure.series = value.get<std::string>();
        } else if (key == "at_step") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 0)
                throw Error(where + ".at_step", "must be a whole number >= 0 (a step the series was recorded at)");
            measure.kind = StudyMeasure::Kind::AtStep;
            measure.step = value.get<std::int64_t>();
            ++kinds;
        } else if (key == "steps_to") {
            const bool atMost = value.is_object() && value.size() == 1 && value.contains("at_most");
            const bool atLeast = value.is_object() && value.size() == 1 && value.contains("at_least");
            if (!atMost && !atLeast)
                throw Error(where + ".steps_to", "must be {\"at_most\": TARGET} or {\"at_least\": TARGET}");
            const auto &target = atMost ? value["at_most"] : value["at_least"];
            if (!target.is_number() || !std::isfinite(target.get<double>()))
                throw Error(where + ".steps_to." + (atMost ? "at_most" : "at_least"), "must be a finite number");
            measure.kind = StudyMeasure::Kind::StepsTo;
            measure.target = target.get<double>();
            measure.atMost = atMost;
            ++kinds;
        } else if (key == "merge_gap" || key == "after_merge") {
            if (value != true)
                throw Error(where + "." + key, "must be true (leave it out for the final value)");
            measure.kind = key == "merge_gap" ? StudyMeasure::Kind::MergeGap : StudyMeasure::Kind::AfterMerge;
            ++kinds;
        } else {
            throw Error(where + "." + key, "unknown key (known: series, at_step, steps_to, merge_gap, after_merge)");
        }
    }
    if (measure.series.empty())
        throw Error(where + ".series", "missing: the recorded series the measure reads (\"eval/loss\")");
    if (kinds > 1)
        throw Error(where, "names more than one of at_step, steps_to, merge_gap, after_merge: one measure each");
    const bool readsMerged
        = measure.kind == StudyMeasure::Kind::MergeGap || measure.kind == StudyMeasure::Kind::AfterMerge;
    if (readsMerged && mergedSeriesName(measure.series).empty())
        throw Error(where + ".series",
                    "\"" + measure.series
                        + "\" has no merged counterpart (eval/loss, eval/perplexity or eval/exact_match/TASK)");
    return measure;
}

// The point at `step`, if the series has one.
const SeriesPoint *pointAt(const std::vector<SeriesPoint> &points, std::int64_t step)
{
    for (const auto &point : points)
        if (point.step == step && !std::isnan(point.value))
            return &point;
    return nullptr;
}

} // namespace

std::string StudyMeasure::name() const
{
    switch (kind) {
    case Kind::AtStep:
        return series + " @ step " + std::to_string(step);
    case Kind::StepsTo:
        return "steps to " + series + (atMost ? " <= " : " >= ") + shortNumber(target);
    case Kind::MergeGap:
        return "merge gap " + series + " (after - before)";
    case Kind::AfterMerge:
        return series + " after merge (as trained where nothing merges)";
    case Kind::Final:
        break;
    }
    return series + " (final)";
}

bool StudyMeasure::higherIsBetter() const
{
    return kind == Kind::StepsTo ? false : storage::higherIsBetter(series);
}

StudyReportOptions parseStudyReportOptions(const nlohmann::json &report, const std::string &source,
                                           std::size_t cellCount)
{
    StudyReportOptions options;
    if (report.is_null())
        return options;
    const auto where = source + ": report";
    if (!report.is_object())
        throw Error(where, "must be an object with cell_labels and / or measures");
    for (const auto &[key, value] : report.items()) {
        if (key == "cell_labels") {
            if (!value.is_array() || value.size() != cellCount)
                throw Error(where + ".cell_labels",
                            "must be an array of " + std::to_string(cellCount) + " labels, one per cell in cell order");
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!value[i].is_string() || value[i].get<std::string>().empty())
                    throw Error(where + ".cell_labels[" + std::to_string(i) + "]", "must be a non-empty string");
                options.cellLabels.push_back(value[i].get<std::string>());
            }
        } else if (key == "measures") {
            if (!value.is_array())
                throw Error(where + ".measures", "must be an array of measures");
            for (std::size_t i = 0; i < value.size(); ++i)
                options.measures.push_back(parseMeasure(value[i], where + ".measures[" + std::to_string(i) + "]"));
        } else {
            throw Error(where + "." + key, "unknown key (known: cell_labels, measures)");
        }
    }
    return options;
}

std::string mergedSeriesName(const std::string &series)
{
    if (series == series::kEvalLoss)
        return series::kEvalMergedLoss;
    if (series == series::kEvalPerplexity)
        return series::kEvalMergedPerplexity;
    const std::string exactMatch = series::kEvalExactMatchPrefix;
    if (series.size() > exactMatch.size() && series.compare(0, exactMatch.size(), exactMatch) == 0)
        return series::kEvalMergedExactMatchPrefix + series.substr(exactMatch.size());
    return "";
}

std::optional<double> measureValue(const StudyMeasure &measure, const std::vector<SeriesPoint> &series,
                                   const std::vector<SeriesPoint> &merged)
{
    switch (measure.kind) {
    case StudyMeasure::Kind::Final:
        for (auto point = series.rbegin(); point != series.rend(); ++point)
            if (!std::isnan(point->value))
                return point->value;
        return std::nullopt;
    case StudyMeasure::Kind::AtStep:
        if (const auto *point = pointAt(series, measure.step))
            return point->value;
        return std::nullopt;
    case StudyMeasure::Kind::StepsTo:
        for (const auto &point : series)
            if (measure.atMost ? point.value <= measure.target : point.value >= measure.target)
                return static_cast<double>(point.step); // NaN compares false: never "reached"
        return std::nullopt;
    case StudyMeasure::Kind::MergeGap:
        // The merged evaluation repeats the final one: compare at its step.
        for (auto after = merged.rbegin(); after != merged.rend(); ++after)
            if (!std::isnan(after->value)) {
                if (const auto *before = pointAt(series, after->step))
                    return after->value - before->value;
                return std::nullopt;
            }
        return std::nullopt;
    case StudyMeasure::Kind::AfterMerge:
        for (auto after = merged.rbegin(); after != merged.rend(); ++after)
            if (!std::isnan(after->value))
                return after->value;
        return measureValue({StudyMeasure::Kind::Final, measure.series}, series);
    }
    return std::nullopt;
}

} // namespace lwb::storage
