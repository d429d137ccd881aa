// mixRoutedExperts (sira_mixture.h): SiRA's mixture over expert blocks on the
// CPU. Every buffer is row-major and contiguous; an assignment ("slot") is
// one active (token, expert) pair, slots sorted by expert, then by token.
#include "engine/adapters/sira_mixture.h"

#include "engine/core/cpu_gemm.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstring>
#include <vector>

namespace lwb {

namespace {

// Where every active assignment goes: expert e owns slots
// [offsets[e], offsets[e + 1]); slot i is token slotToken[i] with gate
// slotGate[i]; tokenSlots[t * k + j] is the slot of the token's j-th choice,
// -1 when that assignment is inactive.
struct ExpertBlocks
{
    std::vector<std::int64_t> offsets;
    torch::Tensor slotToken;  // [M] int64
    torch::Tensor slotGate;   // [M] x's dtype: the gate times the scale s
    torch::Tensor tokenSlots; // [N, k] int64

    std::int64_t size(std::int64_t expert) const { return offsets[expert + 1] - offsets[expert]; }
};

template <typename T>
ExpertBlocks planBlocks(const torch::Tensor &experts, const torch::Tensor &active, const torch::Tensor &expertGates,
                        std::int64_t expertCount, double scale)
{
    const auto chosen = experts.to(torch::kCPU, torch::kLong).contiguous();
    const auto on = active.to(torch::kCPU, torch::kBool).contiguous();
    const auto gates = expertGates.contiguous();
    const auto tokens = chosen.size(0), topK = chosen.size(1);
    const auto *chosenData = chosen.data_ptr<std::int64_t>();
    const auto *onData = on.data_ptr<bool>();
    const auto *gateData = gates.data_ptr<T>();

    ExpertBlocks blocks;
    blocks.offsets.assign(static_cast<std::size_t>(expertCount + 1), 0);
    for (std::int64_t i = 0; i < tokens * topK; ++i) {
        if (onData[i])
            ++blocks.offsets[static_cast<std::size_t>(chosenData[i] + 1)];
    }
    for (std::int64_t e = 0; e < expertCount; ++e)
        blocks.offsets[static_cast<std::size_t>(e + 1)] += blocks.offsets[static_cast<std::size_t>(e)];
    const auto slots = blocks.offsets.back();
    blocks.slotToken = torch::empty({slots}, torch::kLong);
    blocks.slotGate = torch::empty({slots}, gates.options());
    blocks.tokenSlots = torch::empty({tokens, topK}, torch::kLong);
    auto *slotToken = blocks.slotToken.data_ptr<std::int64_t>();
    auto *slotGate = blocks.slotGate.data_ptr<T>();
    auto *tokenSlots = blocks.tokenSlots.data_ptr<std::int64_t>();
    std::vector<std::int64_t> next(blocks.offsets.begin(), blocks.offsets.end() - 1);
    for (std::int64_t t = 0; t < tokens; ++t) {
        for (std::int64_t j = 0; j < topK; ++j) {
            const auto i = t * topK + j;
            if (!onData[i]) {
                tokenSlots[i] = -1;
                continue;
            }
            const auto expert = chosenData[i];
            const auto slot = next[static_cast<std::size_t>(expert)]++;
            slotToken[slot] = t;
            slotGate[slot] = static_cast<T>(static_cast<double>(gateData[t * expertCount + expert]) * scale);
            tokenSlots[i] = slot;
        }
    }
    return blocks;
}

// rows[t] = sum_j slotRows[tokenSlots[t, j]] (0 when the token has none), in
// choice order whatever the thread count: the sums are reproducible.
template <typename T> void addSlotsPerToken(const ExpertBlocks &blocks, const T *slotRows, std::int64_t width, T *rows)
{
    const auto tokens = blocks.tokenSlots.size(0), topK = blocks.tokenSlots.size(1);
    const auto *tokenSlots = blocks.tokenSlots.data_ptr<std::int64_t>();
    at::parallel_for(0, tokens, 64, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
            T *row = rows + t * width;
            std::fill_n(row, width, T(0));
            for (std::int64_t j = 0; j < topK; ++j) {
                const auto slot = tokenSlots[t * topK + j];
                if (slot < 0)
                    continue;
                const T *source = slotRows + slot * width;
                for (std::int64_t c = 0; c < width; ++c)
                    row[c] += source[c];
            }
        }
    });
}

// Runs body(expert, firstSlot, slotCount) for every expert, the experts
// spread over torch's threads (each BLAS call then runs on one). An expert
// without slots gets count 0: its products are empty, and those summed over
// its slots (dA_e, dB_e) come out as zeros (gemmRowMajor with k = 0).
template <typename Body> void forEachExpert(const ExpertBlocks &blocks, const Body &body)
{
    const auto experts = static_cast<std::int64_t>(blocks.offsets.size()) - 1;
    at::parallel_for(0, experts, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t e = begin; e < end; ++e)
            body(e, blocks.offsets[static_cast<std::size_t>(e)], blocks.size(e));
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
            const T *xData = input.data_ptr<T>(), *aData = a.data_ptr<T>(), *bData = b.data_ptr<T>();
            const auto *slotToken = blocks.slotToken.data_ptr<std::int64_t>();
            const T *slotGate = blocks.slotGate.data_ptr<T>();
            T *xs = gathered.data_ptr<T>(), *h = hidden.data_ptr<T>(), *g = gated.data_ptr<T>();
            T *y = expanded.data_ptr<T>();
            forEachExpert(blocks, [&](std::int64_t e, std::int64_t first, std::int64_t count) {
                for (std::int64_t i = first; i < first + count; ++i)
                    std::memcpy(xs + i * in, xData + slotToken[i] * in, static_cast<std::size_t>(in) * sizeof(T));
                // h = x_e A_e^T; g = h * gate s; y = g B_e^T.
                gemmRowMajor(false, true, count, rank, in, T(1), xs + first * in, in, aData + e * rank * in, in, T(0),
                             h + first * rank, rank);
                for (std::int64_t i = first; i < first + count; ++i)
                    for (std::int64_t j = 0; j < rank; ++j)
                        g[i * rank + j] = h[i * rank + j] * slotGate[i];
                gemmRowMajor(false, true, count, out, rank, T(1), g + first * rank, rank, bData + e * out * rank, rank,
                             T(0), y + first * out, out);
            });
            addSlotsPerToken(blocks, static_cast<const T *>(y), out, result.data_ptr<T>());
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

        auto gradA = torch::empty_like(a), gradB = torch::empty_like(b);
        auto gradGates = wantGates ? torch::zeros({tokens, expertCount}, gradOut.options()) : torch::Tensor();
        auto gradX = wantX ? torch::empty({tokens, in}, gradOut.options()) : torch::Tensor();
        auto gradSlotsOut = torch::empty({slots, out}, gradOut.options());
        auto gradGated = torch::empty({slots, rank}, gradOut.options());
        auto gradHidden = torch::empty({slots, rank}, gradOut.options());
        auto gradSlotsIn = wantX ? torch::empty({slots, in}, gradOut.options()) : torch::Tensor();
        AT_DISPATCH_FLOATING_TYPES(gradOut.scalar_type(), "sira_expert_blocks_backward", [&] {
            using T = scalar_t;
            const T *go = gradOut.data_ptr<T>(), *aData = a.data_ptr<T>(), *bData = b.data_ptr<T>();
            const T *xs = gathered.data_ptr<T>(), *h = hidden.data_ptr<T>(), *g = gated.data_ptr<T>();
            const auto *slotToken = blocks.slotToken.data_ptr<std::int64_t>();
            const T *slotGate = blocks.slotGate.data_ptr<T>();
            T *gs = gradSlotsOut.data_ptr<T>(), *dg = gradGated.data_ptr<T>(), *dh = gradHidden.data_ptr<T>();
            T *ga = gradA.data_ptr<T>(), *gb = gradB.data_ptr<T>();
            T *gateGrads = wantGates ? gradGates.data_ptr<T>() : nullptr;
            T *dxs = wantX ? gradSlotsIn.data_ptr<T>() : nullptr;
            forEachExpert(blocks, [&](std::int64_t e, std::int64_t first, std::int64_t count) {
                for (std::int64_t i = first; i < first + count; ++i)
                    std::memcpy(gs + i * out, go + slotToken[i] * out, static_cast<std::size_t>(out) * sizeof(T));
                // dg = dy B_e; dB_e = dy^T g.
                gemmRowMajor(false, false, count, rank, out, T(1), gs + first * out, out, bData + e * out * rank, rank,
                             T(0), dg + first * rank, rank);
                gemmRowMajor(true, false, out, rank, count, T(1), gs + first * out, out, g + first * rank, rank, T(0),
                             gb + e * out * rank, rank);
                // d(gate) = s <dg, h>; dh = dg * gate s.
                for (std::int64_t i = first; i < first + count; ++i) {
                    T dot = 0;
                    for (std::int64_t j = 0; j < rank; ++j) {
                        dot += dg[i * rank + j] * h[i * rank + j];
                        dh[i * rank + j] = dg[i * rank + j] * slotGate[i];
                    }
                    if (gateGrads)
                        gateGrads[slotToken[i] * expertCount + e] = static_cast<T>(static_cast<double>(dot) * scale);
                }
                // dA_e = dh^T x_e; dx_e = dh A_e.
                gemmRowMajor(true, false, rank, in, count, T(1), dh + first * rank, rank, xs + first * in, in, T(0),
                             ga + e * rank * in, in);
                if (dxs)
                    gemmRowMajor(false, false, count, in, rank, T(1), dh + first * rank, rank, aData + e * rank * in,
                                 in, T(0), dxs + first * in, in);
            });
            if (dxs)
                addSlotsPerToken(blocks, static_cast<const T *>(dxs), in, gradX.data_ptr<T>());
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
