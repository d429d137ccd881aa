// SiRA's routing as tensor ops on the logits' device (issue 19 part 3): the
// same decisions as the host loops of sira_routing.cpp, with no copy to the
// host and no wait for the device, so that a GPU forward never stops per
// layer. routeTokens() picks this path (SiraRoutingPath) for non-CPU tensors.
//
//   top-k        a stable descending sort of p, the first k: of equal
//                probabilities the lower expert index comes first, as the
//                host's strict ">" scan (torch::topk leaves tie order open)
//   capacity     per group, the chosen experts in (choice, token) order
//                (GShard: every first choice before any second choice),
//                0/1 over the experts (an == against arange, not
//                torch::one_hot, which reads its input back to check it),
//                masked to the assignments that queue, a cumsum
//                along that order: an assignment's position in its expert's
//                queue; admitted when <= C of its group
//   dropout      the same [N, k] bernoulli draw as the host path (same
//                generator, same shape), so a seed gives the same mask
//   gates        renormalisation, dropout scaling and the admitted mask in
//                the host's order of operations, the sums over k added one
//                choice at a time as the host adds them
//   figures      float64 sums over tokens as a cumsum in token order (the
//                CPU cumsum is a sequential loop, so the sums equal the
//                host's to the bit); counts are exact in any order
//
// The backward is written out (one autograd node, as the host path): the
// host's chain rule, step for step, as tensor ops, so that on the CPU the
// router's gradient is bitwise the host path's. Divisions are by tensors on
// the device, never by a host scalar, because CUDA turns a / scalar into
// a * (1 / scalar) and the capacity would then round differently.
#pragma once

#include "engine/adapters/sira_routing.h"

namespace lwb {

// Layout of SiraRouting::figureTensor, [3E + 3] float64:
//   [0, E) assignments, [E, 2E) firstChoices, [2E, 3E) probabilitySum,
//   3E entropySum, 3E + 1 realTokens, 3E + 2 droppedAssignments.
std::int64_t routingFigureCount(std::int64_t experts);
SiraRoutingFigures unpackRoutingFigures(const torch::Tensor &figures, std::int64_t experts);

// Nothing here reads a tensor's values on the host: on a GPU the pass runs
// under CUDA's sync debug mode "error" (test_sira_routing_ops,
// sameSelectionsOnCuda).
//
// Fills `routing` as the host path does (probs, experts, admitted,
// dropoutKept, gates, expertGates, balanceLoss, capacity, figureTensor)
// with tensor ops on logits' device. realTokens: [N] bool on that device.
void routeTokensByTensorOps(const torch::Tensor &logits, const torch::Tensor &realTokens, std::int64_t groups,
                            const SiraRoutingOptions &options, bool training, SiraRouting &routing);

} // namespace lwb
