// The run form's choices of where and how a run computes: the device list
// (the CPU and every CUDA device torch sees, or a line that says torch sees
// none, so a person on a machine without a GPU is told why there is no
// "cuda" to pick) and training.precision's four values, each with a tooltip
// that says what it does on which device (engine/train/precision.h).
#pragma once

#include <QString>

class QComboBox;

namespace lwb::ui {

// Fills `combo` with EngineCatalog::deviceNames(), plus "cuda" (one GPU per
// process of a data-parallel job) when there are several GPUs. Without a
// GPU it ends with a disabled, unselectable line saying so.
void fillDeviceChoices(QComboBox *combo);

// The text of that disabled line.
QString noCudaDeviceText();

// "auto", "fp32", "bf16", "fp16", each with its tooltip.
void fillPrecisionChoices(QComboBox *combo);

} // namespace lwb::ui
