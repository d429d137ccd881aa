// SiRA's router decisions for one forward pass of one layer: top-k experts,
// gate weights, the per-expert capacity limit and expert dropout.
//
// Tokens are the rows of [N, E] router logits, split into `groups`
// consecutive equal groups (one group = the batch; B groups = one per
// sequence). Within a group, assignments are admitted to an expert in token
// order, every token's first choice before any second choice (GShard): the
// position of an assignment in its expert's queue is a prefix sum over
// (choice, token), and positions past the capacity are dropped.
//
// Two paths compute the same decisions (SiraRoutingPath):
// - host: the softmax is a torch op; everything after it is one pass over the
//   tokens on the host (a loop over N x E numbers, microseconds), with a
//   hand-written backward for the gates: as ~40 small tensor ops per layer the
//   bookkeeping cost as much as the experts' matmuls on the CPU
//   (tests/bench/results/2026-12-01-sira-speed.md). Tensors on another device
//   go through a host copy of the probabilities: one synchronisation per layer.
// - tensor (sira_routing_ops.h): the same steps as tensor ops on the logits'
//   device, never waiting for it; its figures stay a device tensor until read.
//   On the CPU it gives bitwise the host path's decisions, gates, figures and
//   gradients (tests/engine/test_sira_routing_ops.cpp): the host path is its
//   reference.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace lwb {

// How expert dropout scales the surviving gates (engine/adapters/README.md,
// SiRA step 4): Inverted g m / (1 - p), as a dropout layer on the gate
// values; Renormalize g m * (sum g) / (sum g m), back to the mass before
// dropout; None g m.
enum class SiraDropoutScaling { Inverted, Renormalize, None };

// Which implementation routes: Auto takes the host loops for CPU tensors
// (faster there) and the tensor ops elsewhere (no device synchronisation).
enum class SiraRoutingPath { Auto, Host, Tensor };

struct SiraRoutingOptions
{
    std::int64_t experts = 8;
    std::int64_t topK = 2;
    double capacityFactor = 1.25; // <= 0: no limit
    bool renormalizeGates = true;
    double expertDropout = 0.0; // applied only when training
    SiraDropoutScaling dropoutScaling = SiraDropoutScaling::Inverted;
    // true: the dropout mask is drawn first and dropped assignments do not
    // queue for capacity; false: they keep their places (the gate is zeroed
    // after the capacity decision).
    bool dropoutBeforeCapacity = false;
    // Balance loss f_e: false = share of all top-k assignments, true = share
    // of the tokens whose first choice is e (GShard).
    bool balanceFirstChoice = false;
    SiraRoutingPath path = SiraRoutingPath::Auto;
};

// Figures of one routing pass over its real tokens, in float64 on the host
// (the adapter's statistics add them up; reading them never waits). The
// tensor path keeps them as one float64 tensor on its device instead
// (SiraRouting::figureTensor, layout in sira_routing_ops.h).
struct SiraRoutingFigures
{
    std::vector<double> assignments;    // [E] top-k assignments per expert, before capacity
    std::vector<double> firstChoices;   // [E] tokens whose first choice is the expert
    std::vector<double> probabilitySum; // [E] sum of the router probabilities
    double entropySum = 0.0;            // sum of -sum_e p_e log p_e (nats)
    double realTokens = 0.0;
    double droppedAssignments = 0.0; // assignments over capacity (dropped-out ones never count)
};

struct SiraRouting
{
    torch::Tensor logits;       // [N, E]
    torch::Tensor probs;        // [N, E] softmax of the logits
    torch::Tensor realTokens;   // [N] bool, false on padding
    torch::Tensor experts;      // [N, k] int64, chosen experts, most probable first
    torch::Tensor admitted;     // [N, k] bool: a real token's assignment within capacity
    torch::Tensor dropoutKept;  // [N, k] bool, undefined when no expert dropout ran
    torch::Tensor gates;        // [N, k] final gate weights (values; no gradient): 0 where not admitted or dropped out
    torch::Tensor expertGates;  // [N, E] the gates scattered over all experts, differentiable in probs
    torch::Tensor balanceLoss;  // scalar, see loadBalancingLoss(); differentiable in probs
    torch::Tensor capacity;     // [groups] int64 on the logits' device; undefined = no limit
    SiraRoutingFigures figures; // host path; empty vectors on the tensor path
    torch::Tensor figureTensor; // tensor path: [3E + 3] float64 on the device; undefined on the host path
};

// The figures of a pass from whichever path ran (reads the device on the tensor path).
SiraRoutingFigures routingFigures(const SiraRouting &routing);

// The path `options.path` picks for tensors on `device`.
SiraRoutingPath resolvedRoutingPath(const SiraRoutingOptions &options, const c10::Device &device);

// C = ceil(factor * k * tokens / experts), at least 1 when tokens > 0.
std::int64_t expertCapacity(double factor, std::int64_t topK, std::int64_t tokens, std::int64_t experts);

SiraRouting routeTokens(const torch::Tensor &logits, const torch::Tensor &realTokens, std::int64_t groups,
                        const SiraRoutingOptions &options, bool training);

// E * sum_e f_e P_e over the real tokens: f_e the share of top-k assignments
// given to expert e (before capacity), or with balanceFirstChoice the share
// of tokens whose first choice is e; P_e the mean router probability of e.
// Equals 1 for perfectly uniform routing. Differentiable through P only.
// Computed by routeTokens (in float64, from the figures).
torch::Tensor loadBalancingLoss(const SiraRouting &routing);

// Mean over real tokens of logsumexp(logits)^2 (ST-MoE's router z-loss).
torch::Tensor routerZLoss(const SiraRouting &routing);

} // namespace lwb
