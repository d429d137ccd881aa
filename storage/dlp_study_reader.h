// A recorded DLP-LoRA study's evaluation read back from the store: the
// EvalMetrics the study reported (exactMatchByTask = the plugin's fusion,
// EvalMetrics::dlp with the other columns, the plugin's figures and the
// matrices in library order), so the GUI shows a stored study exactly as it
// showed the live one.
#pragma once

#include "engine/train/step_metrics.h"

#include <cstdint>
#include <optional>

namespace lwb::storage {

class RunStore;

// nullopt when the run has no DLP-LoRA evaluation (another variant, or a
// study that did not finish). Throws lwb::Error when the store cannot be read.
std::optional<EvalMetrics> readDlpStudyEvaluation(RunStore &store, std::int64_t runId);

} // namespace lwb::storage
