// A study's results as files a paper or a colleague can take: a CSV (one row
// per cell and seed, and one per cell with mean and interval) and one
// self-contained HTML page (no scripts, no external files: the table, a bar
// chart of each cell's mean with its interval and every seed's value, a
// setting-vs-metric scatter for each numeric axis, the comparison with the
// baseline, each cell's trainable parameters, a table per measure). Written atomically (temporary file + rename).
#pragma once

#include "storage/study_summary.h"

#include <string>

namespace lwb::storage {

// "adapter.r=4 training.lr=0.001" for a cell's [[path, value], ...] text.
std::string studyCellLabel(const std::string &cellKey);

// Columns: cell, settings, seed, run_id, value; then per cell: cell,
// settings, "mean", n, mean, ci_low, ci_high, sd, min, max,
// diff_vs_baseline, diff_low, diff_high, p_value, trainable_parameters,
// label. With measures (storage/study_measures.h), two more blocks: cell,
// label, measure, seed, value; and per cell and measure: cell, label,
// measure, n, without_value, mean, ci_low, ci_high, sd, min, max,
// diff_vs_baseline, diff_low, diff_high, p_value.
void writeStudyCsv(const StudySummary &summary, const std::string &path);
void writeStudyHtml(const StudySummary &summary, const std::string &path);

} // namespace lwb::storage
