// bench_gui's scenarios, one per measured figure (bench_gui.cpp says what
// each prints). Each file holds the scenarios that share a set-up:
// bench_gui_plots.cpp (repaint), bench_gui_jobs.cpp (training stall, cancel
// latency), bench_gui_store_reads.cpp (browser refresh, compare),
// bench_gui_export.cpp (export of a trained run).
#pragma once

#include <QString>

class QTemporaryDir;

namespace lwb::bench_gui {

// Loss-plot and side-plot frame times with 100,000 points per series.
void benchRepaint();
// Gaps between 5 ms ticks while the main window trains the default LoRA run.
void benchStall(int seconds, int threads);
// Cancel to the job's end: mid-training and during a long final evaluation.
void benchCancelLatency(const QTemporaryDir &dir, int threads);
// The run browser refreshing `runs` runs.
void benchBrowserRefresh(const QTemporaryDir &dir, int runs);
// A compare of 8 runs of `steps` steps; keptStore: where that store is left
// (empty: a temporary file).
void benchCompare(const QTemporaryDir &dir, int steps, const QString &keptStore);
// A merged export (every file hashed) of a short trained run.
void benchExport(const QTemporaryDir &dir, int threads);

} // namespace lwb::bench_gui
