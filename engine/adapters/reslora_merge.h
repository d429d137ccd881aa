// Merging ResLoRA into plain LoRA (arXiv 2402.18039, section 3.2), so that
// inference costs exactly what a LoRA costs.
//
// Block n of a chain, m = pre_num, s LoRA's scale, shortcut blocks
// p_1 = n-1, p_2 = n-2, ... (reslora_chain.h: only linked blocks count):
//   bs  exact:      A* = [A_n; A_{p1}; ...; A_{pm}]  B* = [B_n, B_{p1}, ..., B_{pm}]
//                   (rank (m+1) r, so that s B* A* = s sum_k B_{n-k} A_{n-k})
//   is              A* = A_n, B* = (1 + alpha_n) B_n
//   ms "paper"      A* = A_n, B* = (1 + alpha_n) B_n
//   ms "a_merge"    A* = A_n + sum_k c_{n,k} A_{pk}, B* = B_n
// is and ms assume x_{n-k} ~ c x_n; the coefficients estimate c:
//   merge "bi" (by input), f_j = the window mean of ||x_j||_F, g_j = of ||A_j d(x_j)||_F:
//     is        alpha_n = f_{p1} / f_n  (1 for a first block, where x_{-1} := x_n)
//     ms paper  alpha_n = sum_k g_{pk} / g_n
//     a_merge   c_{n,k} = f_{pk} / f_n
//   merge "bw" (by weights), f*_j = ||W_j + s B_j A_j||_F, the block's frozen
//   weight merged with its own LoRA; r_j = f*_{p2(j)} / f*_{p1(j)} estimates
//   ||x_{j-1}|| / ||x_j|| (1 while j has fewer than two linked predecessors):
//     is        alpha_n = r_n
//     ms        c_{n,k} = r_n r_{p1} ... r_{p(k-1)} (the product of the steps back),
//               paper: alpha_n = sum_k c_{n,k};  a_merge: A* as above
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

// alpha_n (is, ms paper) and c_{n,k} (ms a_merge: one per shortcut block,
// nearest first) of one block; both empty / 0 for bs.
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
