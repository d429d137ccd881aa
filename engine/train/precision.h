// Mixed precision for training: which dtype the frozen base holds and which
// dtype the forward computes in (training.precision).
//
//   fp32  everything float32, no autocast (the bitwise-reproducible CPU path).
//   bf16  base weights bfloat16; the forward runs under autocast(bf16), so
//         matmuls and linears compute in bf16 while the adapters' weights,
//         their gradients and AdamW's moments stay float32 (autocast casts
//         a float32 weight to bf16 inside the op; its backward casts the
//         gradient back to float32). Same exponent range as float32: no
//         loss scaling.
//   fp16  as bf16 with float16, whose range is small: small gradients
//         underflow unless the loss is scaled (engine/train/loss_scaler.h).
//   auto  bf16 on CUDA, fp32 on the CPU (where bf16 only pays on CPUs with
//         AMX/AVX-512 BF16, and fp32 keeps runs bitwise reproducible).
//
// Autocast in LibTorch is thread-local dispatch state (at::autocast), set
// per device type; AutocastScope sets and restores it as Python's
// `torch.autocast` context does (nesting count, cast cache cleared on the
// outermost exit, so cached bf16 copies of the adapters' weights never
// outlive the optimiser step that changes them).
#pragma once

#include <torch/types.h>

#include <string>

namespace lwb {

enum class Precision { Fp32, Bf16, Fp16 };

// training.precision ("auto", "fp32", "bf16", "fp16") on a device. Throws
// lwb::Error (training.precision) for any other name.
Precision resolvePrecision(const std::string &name, const torch::Device &device);

const char *precisionName(Precision precision); // "fp32", "bf16", "fp16"

// The dtype the frozen base weights are stored in.
torch::ScalarType baseDtype(Precision precision);

// While alive, ops on `deviceType` run under autocast to the precision's
// dtype; nothing for fp32. Restores the previous state when destroyed.
class AutocastScope
{
public:
    AutocastScope(c10::DeviceType deviceType, Precision precision);
    // The exact state to re-enter (gradient checkpointing's recomputation).
    AutocastScope(c10::DeviceType deviceType, bool enabled, torch::ScalarType dtype);
    ~AutocastScope();

    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    c10::DeviceType deviceType_;
    bool wasEnabled_ = false;
    torch::ScalarType previousDtype_ = torch::kFloat32;
    bool active_ = false;
};

} // namespace lwb
