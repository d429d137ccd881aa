// The engine's plain value types as Qt metatypes, so that they can travel in
// queued signals from a job's thread to the GUI thread.
//
// Only torch-free engine headers are included here (step_metrics.h,
// train_observer.h, dlp_progress.h): every widget header may include this file without
// pulling LibTorch into its translation unit.
#pragma once

#include "engine/dlp/dlp_progress.h"
#include "engine/train/step_metrics.h"
#include "engine/train/train_observer.h"

#include <QMetaType>
#include <QVector>

Q_DECLARE_METATYPE(lwb::StepMetrics)
Q_DECLARE_METATYPE(lwb::EvalMetrics)
Q_DECLARE_METATYPE(lwb::RunInfo)
Q_DECLARE_METATYPE(lwb::RunOutcome)
Q_DECLARE_METATYPE(lwb::DlpStudyProgress)

namespace lwb::ui {

// A batch of consecutive steps, as one queued signal carries them.
using StepBatch = QVector<lwb::StepMetrics>;

// Registers the types above (idempotent, thread-safe). Call before the first
// queued connection that carries them; JobController's constructor does.
void registerEngineMetatypes();

} // namespace lwb::ui

Q_DECLARE_METATYPE(lwb::ui::StepBatch)
