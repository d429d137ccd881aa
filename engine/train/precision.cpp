// See precision.h.
#include "engine/train/precision.h"

#include "engine/core/error.h"

#include <ATen/autocast_mode.h>

namespace lwb {

Precision resolvePrecision(const std::string &name, const torch::Device &device)
{
    if (name == "auto")
        return device.is_cuda() ? Precision::Bf16 : Precision::Fp32;
    if (name == "fp32")
        return Precision::Fp32;
    if (name == "bf16")
        return Precision::Bf16;
    if (name == "fp16")
        return Precision::Fp16;
    throw Error("training.precision", "\"" + name + "\" is not \"auto\", \"fp32\", \"bf16\" or \"fp16\"");
}

const char *precisionName(Precision precision)
{
    switch (precision) {
    case Precision::Bf16:
        return "bf16";
    case Precision::Fp16:
        return "fp16";
    case Precision::Fp32:
        break;
    }
    return "fp32";
}

torch::ScalarType baseDtype(Precision precision)
{
    switch (precision) {
    case Precision::Bf16:
        return torch::kBFloat16;
    case Precision::Fp16:
        return torch::kFloat16;
    case Precision::Fp32:
        break;
    }
    return torch::kFloat32;
}

AutocastScope::AutocastScope(c10::DeviceType deviceType, Precision precision)
    : AutocastScope(deviceType, precision != Precision::Fp32, baseDtype(precision))
{
}

AutocastScope::AutocastScope(c10::DeviceType deviceType, bool enabled, torch::ScalarType dtype)
    : deviceType_(deviceType)
{
    if (!enabled && !at::autocast::is_autocast_enabled(deviceType))
        return; // nothing to set, nothing to restore
    active_ = true;
    wasEnabled_ = at::autocast::is_autocast_enabled(deviceType);
    previousDtype_ = at::autocast::get_autocast_dtype(deviceType);
    at::autocast::set_autocast_enabled(deviceType, enabled);
    at::autocast::set_autocast_dtype(deviceType, dtype);
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope()
{
    if (!active_)
        return;
    if (at::autocast::decrement_nesting() == 0)
        at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(deviceType_, wasEnabled_);
    at::autocast::set_autocast_dtype(deviceType_, previousDtype_);
}

} // namespace lwb
