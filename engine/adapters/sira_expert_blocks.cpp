// mixRoutedExperts (sira_mixture.h): SiRA's mixture over expert blocks on the
// CPU. The arithmetic (the slot plan, each expert's products, the per-token
// sums) is kernels/sira_expert_blocks.h on raw buffers; this file is the
// torch glue: checks, buffers, the autograd node and the threads.
//
// Threads: the kernel has one entry per expert and per token range, and this
// file spreads them with at::parallel_for. Torch's pool then sizes and reuses
// the threads (torch::set_num_threads, `threads` in a run config), and a
// parallel region inside another (a DataLoader worker, an inter-op task) runs
// inline as everywhere else in torch; the kernel layer keeps no thread pool
// and no callback type of its own. Each entry writes only its own expert's
// or tokens' outputs, so any split gives the same bits.
#include "engine/adapters/sira_mixture.h"

#include "engine/core/cpu_gemm.h"
#include "kernels/sira_expert_blocks.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <vector>

namespace lwb {

namespace {

// The slot plan as tensors, so that autograd's context keeps it for the
// backward: expert e owns slots [offsets[e], offsets[e + 1]); slot i is token
// slotToken[i] with gate times scale slotGate[i]; tokenSlots[t * k + j] is
// the slot of the token's j-th choice, -1 when that assignment is inactive.
struct ExpertBlocks
{
    std::vector<std::int64_t> offsets;
    torch::Tensor slotToken;  // [M] int64
    torch::Tensor slotGate;   // [M] x's dtype: the gate times the scale s
    torch::Tensor tokenSlots; // [N, k] int64
};

kernels::ExpertBlocksShape blocksShape(const torch::Tensor &loraA, const torch::Tensor &loraB,
                                       const torch::Tensor &tokenSlots)
{
    kernels::ExpertBlocksShape shape;
    shape.tokens = tokenSlots.size(0);
    shape.choices = tokenSlots.size(1);
    shape.experts = loraA.size(0);
    shape.rank = loraA.size(1);
    shape.in = loraA.size(2);
    shape.out = loraB.size(1);
    return shape;
}

template <typename T>
ExpertBlocks planBlocks(const torch::Tensor &experts, const torch::Tensor &active, const torch::Tensor &expertGates,
                        std::int64_t expertCount, double scale)
{
    const auto chosen = experts.to(torch::kCPU, torch::kLong).contiguous();
    const auto on = active.to(torch::kCPU, torch::kBool).contiguous();
    const auto gates = expertGates.contiguous();
    kernels::ExpertBlocksShape shape;
    shape.tokens = chosen.size(0);
    shape.choices = chosen.size(1);
    shape.experts = expertCount;
    const auto *chosenData = chosen.data_ptr<std::int64_t>();
    const auto *onData = on.data_ptr<bool>();

    ExpertBlocks blocks;
    blocks.offsets = kernels::expertSlotOffsets(shape, chosenData, onData);
    const auto slots = blocks.offsets.back();
    blocks.slotToken = torch::empty({slots}, torch::kLong);
    blocks.slotGate = torch::empty({slots}, gates.options());
    blocks.tokenSlots = torch::empty({shape.tokens, shape.choices}, torch::kLong);
    kernels::fillExpertSlots<T>(shape, blocks.offsets, chosenData, onData, gates.data_ptr<T>(), scale,
                                blocks.slotToken.data_ptr<std::int64_t>(), blocks.slotGate.data_ptr<T>(),
                                blocks.tokenSlots.data_ptr<std::int64_t>());
    return blocks;
}

// The experts spread over torch's threads (each BLAS call then runs on one).
template <typename Body> void forEachExpert(std::int64_t experts, const Body &body)
{
    at::parallel_for(0, experts, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t e = begin; e < end; ++e)
            body(e);
    });
}

// rows[t] = sum of the token's slot rows in choice order, tokens over threads.
template <typename T> void addSlotsPerToken(const ExpertBlocks &blocks, const T *slotRows, std::int64_t width, T *rows)
{
    const auto tokens = blocks.tokenSlots.size(0), topK = blocks.tokenSlots.size(1);
    const auto *tokenSlots = blocks.tokenSlots.data_ptr<std::int64_t>();
    at::parallel_for(0, tokens, 64, [&](std::int64_t begin, std::int64_t end) {
        kernels::addSlotsPerToken(tokenSlots, topK, slotRows, width, rows, begin, end);
    });
}

struct RoutedExperts : public torch::autograd::Function<RoutedExperts>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
                                 const torch::Tensor &loraA, const torch::Tensor &loraB,
                                 const torch::Tensor &expertGates, const torch::Tensor &experts,
                                 const torch::Tensor &active, double scale)
    {
        const auto input = x.contiguous(), a = loraA.contiguous(), b = loraB.contiguous();
        const auto expertCount = a.size(0), rank = a.size(1), in = a.size(2), out = b.size(1);
        ExpertBlocks blocks;
        torch::Tensor gathered, hidden, gated, result;
        AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "sira_expert_blocks", [&] {
            using T = scalar_t;
            blocks = planBlocks<T>(experts, active, expertGates, expertCount, scale);
            const auto slots = blocks.offsets.back();
            gathered = torch::empty({slots, in}, input.options());
            hidden = torch::empty({slots, rank}, input.options());
            gated = torch::empty({slots, rank}, input.options());
            auto expanded = torch::empty({slots, out}, input.options());
            result = torch::empty({input.size(0), out}, input.options());
            kernels::ExpertBlocksForward<T> buffers;
            buffers.shape = blocksShape(a, b, blocks.tokenSlots);
            buffers.offsets = blocks.offsets.data();
            buffers.slotToken = blocks.slotToken.data_ptr<std::int64_t>();
            buffers.slotGate = blocks.slotGate.data_ptr<T>();
            buffers.x = input.data_ptr<T>();
            buffers.loraA = a.data_ptr<T>();
            buffers.loraB = b.data_ptr<T>();
            buffers.gathered = gathered.data_ptr<T>();
            buffers.hidden = hidden.data_ptr<T>();
            buffers.gated = gated.data_ptr<T>();
            buffers.expanded = expanded.data_ptr<T>();
            buffers.gemm = lwb::gemmRowMajor; // the engine's: BLAS, or torch::mm without one
            forEachExpert(expertCount, [&](std::int64_t e) { kernels::expertBlockForward(buffers, e); });
            addSlotsPerToken(blocks, static_cast<const T *>(buffers.expanded), out, result.data_ptr<T>());
        });
        ctx->save_for_backward({a, b, gathered, hidden, gated});
        ctx->saved_data["offsets"] = c10::IValue(blocks.offsets);
        ctx->saved_data["slotToken"] = blocks.slotToken;
        ctx->saved_data["slotGate"] = blocks.slotGate;
        ctx->saved_data["tokenSlots"] = blocks.tokenSlots;
        ctx->saved_data["scale"] = scale;
        return result;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &a = saved[0], &b = saved[1], &gathered = saved[2], &hidden = saved[3], &gated = saved[4];
        ExpertBlocks blocks;
        blocks.offsets = ctx->saved_data["offsets"].toIntVector();
        blocks.slotToken = ctx->saved_data["slotToken"].toTensor();
        blocks.slotGate = ctx->saved_data["slotGate"].toTensor();
        blocks.tokenSlots = ctx->saved_data["tokenSlots"].toTensor();
        const auto scale = ctx->saved_data["scale"].toDouble();
        const auto expertCount = a.size(0), rank = a.size(1), in = a.size(2), out = b.size(1);
        const auto tokens = blocks.tokenSlots.size(0), slots = blocks.offsets.back();
        const auto gradOut = grads[0].contiguous();
        const bool wantX = ctx->needs_input_grad(0), wantGates = ctx->needs_input_grad(3);

        // gradA and gradB: every expert's block is written (zeros without slots).
        auto gradA = torch::empty_like(a), gradB = torch::empty_like(b);
        auto gradGates = wantGates ? torch::zeros({tokens, expertCount}, gradOut.options()) : torch::Tensor();
        auto gradX = wantX ? torch::empty({tokens, in}, gradOut.options()) : torch::Tensor();
        auto gradSlotsOut = torch::empty({slots, out}, gradOut.options());
        auto gradGated = torch::empty({slots, rank}, gradOut.options());
        auto gradHidden = torch::empty({slots, rank}, gradOut.options());
        auto gradSlotsIn = wantX ? torch::empty({slots, in}, gradOut.options()) : torch::Tensor();
        AT_DISPATCH_FLOATING_TYPES(gradOut.scalar_type(), "sira_expert_blocks_backward", [&] {
            using T = scalar_t;
            kernels::ExpertBlocksBackward<T> buffers;
            buffers.shape = blocksShape(a, b, blocks.tokenSlots);
            buffers.scale = scale;
            buffers.offsets = blocks.offsets.data();
            buffers.slotToken = blocks.slotToken.data_ptr<std::int64_t>();
            buffers.slotGate = blocks.slotGate.data_ptr<T>();
            buffers.gradOut = gradOut.data_ptr<T>();
            buffers.loraA = a.data_ptr<T>();
            buffers.loraB = b.data_ptr<T>();
            buffers.gathered = gathered.data_ptr<T>();
            buffers.hidden = hidden.data_ptr<T>();
            buffers.gated = gated.data_ptr<T>();
            buffers.gradSlotsOut = gradSlotsOut.data_ptr<T>();
            buffers.gradGated = gradGated.data_ptr<T>();
            buffers.gradHidden = gradHidden.data_ptr<T>();
            buffers.gradA = gradA.data_ptr<T>();
            buffers.gradB = gradB.data_ptr<T>();
            buffers.gradGates = wantGates ? gradGates.data_ptr<T>() : nullptr;
            buffers.gradSlotsIn = wantX ? gradSlotsIn.data_ptr<T>() : nullptr;
            buffers.gemm = lwb::gemmRowMajor;
            forEachExpert(expertCount, [&](std::int64_t e) { kernels::expertBlockBackward(buffers, e); });
            if (wantX)
                addSlotsPerToken(blocks, static_cast<const T *>(buffers.gradSlotsIn), in, gradX.data_ptr<T>());
        });
        return {gradX, gradA, gradB, gradGates, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

bool routedExpertsSupported(const torch::Tensor &x)
{
    return x.device().is_cpu() && (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
}

torch::Tensor mixRoutedExperts(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                               const torch::Tensor &expertGates, const torch::Tensor &experts,
                               const torch::Tensor &active, double scale)
{
    TORCH_CHECK(routedExpertsSupported(x), "mixRoutedExperts: a CPU float32/float64 input is required");
    TORCH_CHECK(x.dim() == 2 && loraA.dim() == 3 && loraB.dim() == 3 && x.size(1) == loraA.size(2)
                    && loraB.size(0) == loraA.size(0) && loraB.size(2) == loraA.size(1),
                "mixRoutedExperts: x [N, in], A [E, r, in], B [E, out, r] expected");
    TORCH_CHECK(experts.sizes() == active.sizes() && experts.size(0) == x.size(0)
                    && expertGates.sizes() == torch::IntArrayRef({x.size(0), loraA.size(0)}),
                "mixRoutedExperts: experts/active [N, k] and gates [N, E] expected");
    TORCH_CHECK(loraA.scalar_type() == x.scalar_type() && loraB.scalar_type() == x.scalar_type()
                    && expertGates.scalar_type() == x.scalar_type(),
                "mixRoutedExperts: x, A, B and the gates must share one dtype");
    return RoutedExperts::apply(x, loraA, loraB, expertGates, experts, active, scale);
}

} // namespace lwb
