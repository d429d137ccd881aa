// See engine_metatypes.h.
#include "ui/engine_metatypes.h"

namespace lwb::ui {

void registerEngineMetatypes()
{
    // qRegisterMetaType is itself idempotent and thread-safe; a function-local
    // static only saves the repeated lookups.
    static const bool registered = [] {
        qRegisterMetaType<lwb::StepMetrics>("lwb::StepMetrics");
        qRegisterMetaType<lwb::EvalMetrics>("lwb::EvalMetrics");
        qRegisterMetaType<lwb::RunInfo>("lwb::RunInfo");
        qRegisterMetaType<lwb::RunOutcome>("lwb::RunOutcome");
        qRegisterMetaType<lwb::DlpStudyProgress>("lwb::DlpStudyProgress");
        qRegisterMetaType<StepBatch>("lwb::ui::StepBatch");
        return true;
    }();
    (void)registered;
}

} // namespace lwb::ui
