// Exporting one run for other tools.
//
// CSV: the scalar samples, long format, one line per sample:
//   series,step,value,wall_seconds
// (evaluations are in it as the eval/* series; vector samples are not: CSV
// has no good place for a vector). NaN is written as "nan".
//
// JSON: everything about the run in one document:
//   { "format": "lora-workbench-run/1", "run": {...}, "config": {...},
//     "scalars": { series: { "step": [...], "value": [...], "wall_seconds": [...] } },
//     "vectors": { series: { layer: { "step": [...], "values": [[...], ...] } } },
//     "evaluations": [ {step, task, metric, value} ], "artifacts": [ {...} ] }
// NaN values become null (JSON has no NaN).
#pragma once

#include <cstdint>
#include <ostream>

namespace lwb::storage {

class RunStore;

void exportRunCsv(RunStore &store, std::int64_t runId, std::ostream &out);
void exportRunJson(RunStore &store, std::int64_t runId, std::ostream &out);

} // namespace lwb::storage
