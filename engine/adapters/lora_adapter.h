// LoraAdapter: plain LoRA (Hu et al. 2021), the baseline every variant is
// compared with.
//
//   delta(x) = s * B A dropout(x),   A: [r, in], B: [out, r]
//   s = alpha / r, or alpha / sqrt(r) with rsLoRA (Kalajdzievski 2023)
//
// Initialised as PEFT does: A Kaiming-uniform with a = sqrt(5) (bound
// 1/sqrt(in)), B zero, so the adapted model starts exactly at the base model.
// The parameters are "lora_A" and "lora_B"; export maps them to PEFT keys.
#pragma once

#include "engine/adapters/adapter.h"

namespace lwb {

struct LoraOptions
{
    std::int64_t rank = 8;
    double alpha = 16.0;
    double dropout = 0.0;
    bool rslora = false;

    double scale() const;
};

// Registers "lora_A" [rank, in] (Kaiming-uniform, a = sqrt(5)) and "lora_B"
// [out, rank] (zero) on module, LoRA's initialisation, for every variant whose
// blocks are plain LoRA factors (LoRA, ResLoRA).
struct LoraFactors
{
    torch::Tensor a; // [rank, in]
    torch::Tensor b; // [out, rank]
};
LoraFactors registerLoraFactors(torch::nn::Module &module, std::int64_t inFeatures, std::int64_t outFeatures,
                                std::int64_t rank);

class LoraAdapterImpl : public AdapterImpl
{
public:
    LoraAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, const LoraOptions &options);

    torch::Tensor delta(const torch::Tensor &x) override;
    torch::Tensor addDelta(const torch::Tensor &base, const torch::Tensor &x) override;
    std::optional<torch::Tensor> denseDelta() const override;

    const LoraOptions &options() const { return options_; }
    double scale() const { return scale_; }

    torch::Tensor loraA; // [r, in]
    torch::Tensor loraB; // [out, r]

private:
    torch::Tensor shrink(const torch::Tensor &x); // dropout(x) A^T: [..., r]

    LoraOptions options_;
    double scale_;
};

} // namespace lwb
