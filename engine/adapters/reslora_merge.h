// Merging ResLoRA into plain LoRA (arXiv 2402.18039, section 3.2), so that
// inference costs exactly what a LoRA costs.
//
// Block n of a chain, m = pre_num, s LoRA's scale, shortcut blocks
// p_1 = n-1, p_2 = n-2, ... (reslora_chain.h: only linked blocks count):
//   bs  exact:      A* = [A_n; A_{p1}; ...; A_{pm}]  B* = [B_n, B_{p1}, ..., B_{pm}]
//                   (rank (m+1) r, so that s B* A* = s sum_k B_{n-k} A_{n-k})
//   is              A* = A_n, B* = (1 + alpha_n) B_n
//   ms merge_bw     A* = A_n, B* = (1 + alpha_n) B_n
//   ms merge_bi     A* = A_n + sum_k c_{n,k} A_{pk}, B* = B_n
// is and ms assume x_{n-k} ~ c x_n; the coefficients estimate c. The names
// are the official README's (microsoft/LMOps reslora/README.md: merge_bi =
// merge_flag 3, merge_bw = merge_flag 4) and each computes what the official
// ResLoraLinear.calculate_froc / calculate_alpha / forward compute for that
// flag (reslora/myloralib/layers.py), with f_j = the window mean of
// ||x_j||_F, g_j = of ||A_j d(x_j)||_F, f*_j = ||W_j + s B_j A_j||_F (the
// block's frozen weight merged with its own LoRA):
//   is merge_bi  alpha_n = f*_{p2} / f*_{p1}  (1 while n has fewer than two linked predecessors)
//   is merge_bw  alpha_n = f_{p1} / f_n       (1 for a first block, where x_{-1} := x_n)
//   ms merge_bi  c_{n,k} = f_{pk} / f_n, folded into A (the official eval
//                forward adds sum_k c_k x A_{pk}^T to x A_n^T before B_n)
//   ms merge_bw  alpha_n = sum_k g_{pk} / g_n
// A ratio whose numerator or denominator is 0 (no training batch recorded)
// counts as 1. Frozen weights are read, never written: a layer that is
// already merged (AdaptedLinear::merge) has its own delta taken out first.
#pragma once

#include "engine/adapters/reslora_chain.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace lwb {

// delta(x) = scale * B A x: exactly a LoRA's form (export writes it as one).
struct MergedLora
{
    torch::Tensor loraA; // [rank, in]
    torch::Tensor loraB; // [out, rank]
    double scale = 1.0;

    std::int64_t rank() const { return loraA.size(0); }
};

// alpha_n (is, ms merge_bw) and c_{n,k} (ms merge_bi: one per shortcut
// block, nearest first) of one block; both empty / 0 for bs.
struct ResLoraMergeCoefficients
{
    double alpha = 0.0;
    std::vector<double> earlier;
};

ResLoraMergeCoefficients resLoraMergeCoefficients(const ResLoraChain &chain, std::int64_t position);
MergedLora mergeResLoraBlock(const ResLoraChain &chain, std::int64_t position);

// The engine's API for export: every ResLoRA layer of the model, in module
// order, with its merged plain LoRA (detached copies). Empty when the model
// carries no ResLoRA adapter.
struct MergedLoraLayer
{
    std::string path; // "transformer.h.3.attn.c_attn"
    MergedLora lora;
};
std::vector<MergedLoraLayer> mergedResLoraLayers(torch::nn::Module &model);

// For its lifetime, every ResLoRA adapter of the model is replaced by a plain
// LoraAdapter holding its merged weights (the frozen weights untouched), so
// the model computes exactly what the exported LoRA computes; the
// destructor puts the ResLoRA adapters back.
class MergedResLoraSwap
{
public:
    explicit MergedResLoraSwap(torch::nn::Module &model);
    ~MergedResLoraSwap();

    MergedResLoraSwap(const MergedResLoraSwap &) = delete;
    MergedResLoraSwap &operator=(const MergedResLoraSwap &) = delete;

    std::size_t swapped() const { return saved_.size(); }

private:
    std::vector<std::pair<std::shared_ptr<AdaptedLinearImpl>, std::shared_ptr<AdapterImpl>>> saved_;
};

} // namespace lwb
