// DlpStudyProgress: what a DLP-LoRA study reports while it runs (stage, step
// counts, loss, the selection counts of its routed evaluation). Plain values,
// no torch, so the GUI can carry them in queued signals.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lwb {

struct DlpStudyProgress
{
    std::string stage;  // "task lora", "multi-task lora", "plugin", "evaluation"
    std::string detail; // e.g. the task being trained
    std::int64_t done = 0;
    std::int64_t total = 0;
    double loss = 0.0;                         // training stages: the last step's / epoch's loss
    std::vector<std::int64_t> selectionCounts; // evaluation: per task LoRA so far
};

using DlpStudyObserver = std::function<void(const DlpStudyProgress &)>;

} // namespace lwb
