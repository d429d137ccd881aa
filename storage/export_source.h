// Where a run's export comes from and goes by default: the run store's view
// of an export (engine/export/run_export.h) — the run's checkpoint on disk,
// the figures for the model card, the default destination and folder name.
// One place for the CLI (`lorawb export`) and the GUI's export dialog.
#pragma once

#include "engine/export/export_request.h"
#include "storage/run_records.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lwb::storage {

class RunStore;

// $XDG_DATA_HOME/lora-workbench/exports (else ~/.local/share/..., else ./exports).
std::string defaultExportRoot();

// The newest checkpoint the run recorded that still exists, else the run's
// output directory; throws lwb::Error naming the run when neither exists.
std::string runCheckpoint(RunStore &store, const RunRecord &run);

// The run's final figures for the model card: the latest value of every
// scalar series and the evaluations of the last evaluated step.
std::vector<std::pair<std::string, std::string>> runCardMetrics(RunStore &store, std::int64_t runId);

// A request for the run in `format`: checkpoint, runId, metrics, destination
// (defaultExportRoot()) and name ("<run name>-run<ID>-<format>") filled in.
RunExportRequest exportRequestForRun(RunStore &store, std::int64_t runId, const std::string &format);

} // namespace lwb::storage
