// DlpFusedAdapter: the N task LoRAs of a DLP-LoRA library on one frozen
// layer, fused with per-sequence (or per-position) weights in one batched
// pass (arXiv 2410.01497, §3.2):
//
//   h = W x + b + sum_i w_i s_i B_i A_i x
//
// with w the fusion weights the router chose for x's sequence (zero for the
// task LoRAs it did not select) and s_i each task LoRA's own scale
// (alpha_i / r_i). The LoRAs are stacked, A [N, r, in] and B [N, out, r];
// LoRAs of a smaller rank are zero-padded to r, which changes nothing.
//
// Computation, for the whole batch at once (no loop over LoRAs or samples),
// along one of two paths that give the same result:
//   stacked        u = x A_all^T         [.., n*r]   A_all = the n LoRAs in use, [n*r, in]
//                  u = u * (w s)         each LoRA's r columns times its sequence's w_i s_i
//                  delta = u B_all^T     [.., out]   B_all = [out, n*r]
//                  where "in use" are the LoRAs some sequence of the batch gives a
//                  non-zero weight; the others are left out of both matmuls;
//   per sequence   each sequence's own k LoRAs (k = the most any sequence uses,
//                  shorter sets padded with a zero gate) gathered to
//                  A_b [k*r, in], B_b [k*r, out]; then two batched matmuls,
//                  x_b A_b^T, times the gates, times B_b. A mixed batch then
//                  costs k LoRAs per token instead of n.
// "auto" takes per sequence when 2k <= n (the gather pays off), else
// stacked. When the weights require grad (a study of the weights themselves)
// it is stacked with every LoRA, so each weight gets its gradient. What a set
// of weights implies (path, LoRAs, per-column gates) is worked out once per
// set, and the gathered matrices once per set while the library is frozen,
// so that an inference forward costs two matmuls and one multiply per
// layer, as a plain LoRA's does.
//
// No forward waits for a GPU: a weight set from the router (host tensors)
// is planned on the host and its few tensors go to the device by
// non-blocking copies from pinned memory; weights that already live on a
// device take the stacked path over every LoRA (their zeros are not read
// back to leave LoRAs out). test_dlp_fused_device checks both under CUDA's
// sync debug mode "error".
//
// Weights are set before the forward (the DLP router does it, once per input
// or at every sentence start): [B, N] applies one set per sequence, [B, T, N]
// one set per position, so that in generation the set can switch at a
// sentence boundary while earlier positions keep theirs. No weights set is an
// error, not a silent base-model forward. The output depends on the routing,
// so there is no dense equivalent and no merge.
#pragma once

#include "engine/adapters/adapter.h"

#include <utility>
#include <vector>

namespace lwb {

class DlpFusedAdapterImpl : public AdapterImpl
{
public:
    // A library of `tasks` LoRAs of rank at most `rank`, all zero until
    // setTaskLora() fills them.
    DlpFusedAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, std::int64_t tasks, std::int64_t rank);

    // Task `task`'s LoRA: a [r_i, in], b [out, r_i] with r_i <= rank, scale s_i.
    void setTaskLora(std::int64_t task, const torch::Tensor &a, const torch::Tensor &b, double scale);

    enum class Path { Auto, Stacked, PerSequence };
    // Auto unless a benchmark or a test forces one; the result is the same.
    void setPath(Path path);

    // Whether the last forward took the per-sequence path.
    bool lastForwardPerSequence() const { return plan_.perSequence; }

    // [B, N] or [B, T, N]; held until replaced.
    void setFusionWeights(torch::Tensor weights);
    const torch::Tensor &fusionWeights() const { return weights_; }

    torch::Tensor delta(const torch::Tensor &x) override;

    std::int64_t tasks() const { return loraA.size(0); }
    std::int64_t rank() const { return loraA.size(1); }

    torch::Tensor loraA;     // [N, r, in]
    torch::Tensor loraB;     // [N, out, r]
    torch::Tensor taskScale; // [N] buffer: s_i

private:
    // What one set of weights implies, kept until the weights change.
    struct FusionPlan
    {
        bool valid = false;
        bool perSequence = false;
        std::vector<std::int64_t> used; // stacked: LoRAs some sequence uses, ascending
        torch::Tensor sequenceLoras;    // per sequence: [B, k] LoRA of each slot (padding: gate 0)
        torch::Tensor perRank; // w_i s_i over each LoRA's r columns: [B, 1 | T, n*r or k*r] ([B, n*r] for 2-D x)
        c10::ScalarType dtype = c10::ScalarType::Undefined;
        c10::Device device{c10::kCPU};
        std::int64_t inputDims = 0; // x.dim() the plan was made for
        std::int64_t scaleVersion = -1;
        // The gathered matrices, kept while the library is frozen and unchanged.
        torch::Tensor shrink, expand; // stacked: [n*r, in], [out, n*r]; per sequence: [B, k*r, in], [B, k*r, out]
        std::int64_t versionA = -1, versionB = -1;
    };

    FusionPlan &plan(const torch::Tensor &x);
    void planPerSequence(FusionPlan &plan, const torch::Tensor &x, std::int64_t width);
    std::pair<torch::Tensor, torch::Tensor> gathered(FusionPlan &plan);

    Path path_ = Path::Auto;
    torch::Tensor weights_;
    std::int64_t weightsVersion_ = -1;
    FusionPlan plan_;
};

} // namespace lwb
