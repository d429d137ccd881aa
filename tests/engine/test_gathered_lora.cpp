// The gathered low-rank apply and the one-pass routing (issue 19 part 4):
//
// On the CPU (always):
// - engine/adapters/gathered_lora.h's LibTorch composition against the
//   kernels/ host reference (the contract the CUDA kernels implement):
//   forward and the gradients of x, A, B and the gate weights, float64 and
//   float32, on random shapes with k > 1, repeated adapters in a token,
//   empty slots (-1), zero weights and T = 0;
// - the same forward against a float64 loop over the pairs written here,
//   and the composition's gradients against central differences (float64);
// - one-pass routing (the host reference behind routeInOnePass) against
//   SiRA's tensor-op routing (sira_routing_ops.h): experts, admitted mask,
//   capacities exactly, gates to rounding, counts against the figures, with
//   and without capacity, groups, padding, raw gates, exact ties, and the
//   expert-dropout mask passed as `queues` (dropout before capacity).
// - the two call sites it is meant to serve, at float64: SiRA's dense
//   mixture (mixLoraExperts) from a real routing pass, with the gates times
//   the scale as weights (forward and the gradients of x, A, B and gates),
//   and DLP-LoRA's fused forward with per-sequence weights;
// On CUDA (reported SKIPPED with the reason where no GPU or no nvcc):
// - the kernels against the composition on the same device: float32 to
//   1e-5, bfloat16 to 2e-2 of the largest magnitude (inputs and outputs
//   rounded to bf16's 8 bits, float32 sums);
// - the routing kernel against the tensor path: the same selections,
//   capacities and counts, gates to rounding.
// Logits for the routing comparisons lie on a 0.25 grid: equal logits give
// bitwise equal probabilities on every path (exact ties), and distinct ones
// differ by a factor of at least e^0.25, far beyond any softmax's last bit,
// so "the same selections" is a fair demand of paths whose softmax rounds
// differently (kernels/token_routing.h).
#include "engine/adapters/dlp_fused_adapter.h"
#include "engine/adapters/gathered_lora.h"
#include "engine/adapters/one_pass_routing.h"
#include "engine/adapters/sira_mixture.h"
#include "engine/adapters/sira_routing.h"
#include "engine/adapters/sira_routing_ops.h"
#include "kernels/gathered_lora.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <QtTest>

#include <cmath>
#include <functional>
#include <sstream>

namespace {

struct GatherCase
{
    std::int64_t tokens, pairs, adapters, rank, in, out;
};

const std::vector<GatherCase> &gatherCases()
{
    static const std::vector<GatherCase> cases{
        {7, 2, 4, 3, 10, 6}, {1, 1, 1, 1, 1, 1}, {13, 3, 2, 4, 5, 9}, {0, 2, 3, 2, 4, 5}, {9, 4, 8, 2, 33, 17},
    };
    return cases;
}

struct GatherInputs
{
    torch::Tensor x, a, b, index, weight;
};

// Random inputs with every case the contract names: repeated adapters within
// a token (index drawn with replacement), empty slots, zero weights.
GatherInputs randomInputs(const GatherCase &c, c10::ScalarType dtype, std::uint64_t seed,
                          const torch::Device &device = torch::kCPU)
{
    torch::manual_seed(seed);
    const auto options = torch::TensorOptions().dtype(torch::kFloat64);
    GatherInputs in;
    in.x = torch::randn({c.tokens, c.in}, options);
    in.a = torch::randn({c.adapters, c.rank, c.in}, options) / std::sqrt(static_cast<double>(c.in));
    in.b = torch::randn({c.adapters, c.out, c.rank}, options);
    in.index = torch::randint(-1, c.adapters, {c.tokens, c.pairs}, torch::kInt64);
    if (c.tokens > 2 && c.pairs > 1) {
        in.index[0][1] = in.index[0][0] = c.adapters - 1; // a repeat
        in.index[1][0] = -1;                              // an empty slot
    }
    in.weight = torch::rand({c.tokens, c.pairs}, options);
    if (c.tokens > 2)
        in.weight[2][0] = 0.0;
    for (auto *t : {&in.x, &in.a, &in.b, &in.weight})
        *t = t->to(device, dtype);
    in.index = in.index.to(device);
    return in;
}

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    const auto a = actual.detach().to(torch::kCPU, torch::kFloat64),
               e = expected.detach().to(torch::kCPU, torch::kFloat64);
    if (a.sizes() != e.sizes())
        return INFINITY;
    if (a.numel() == 0)
        return 0.0;
    return (a - e).abs().max().item<double>() / std::max(1.0, e.abs().max().item<double>());
}

std::string describe(const GatherCase &c, c10::ScalarType dtype)
{
    std::ostringstream text;
    text << c10::toString(dtype) << " T " << c.tokens << " k " << c.pairs << " N " << c.adapters << " r " << c.rank
         << " in " << c.in << " out " << c.out;
    return text.str();
}

struct Gradients
{
    torch::Tensor delta, x, a, b, weight;
};

// delta and the gradients of sum(delta * gradY) along `path`.
Gradients differentiate(const GatherInputs &in, const torch::Tensor &gradY, lwb::GatheredLoraPath path)
{
    auto x = in.x.detach().requires_grad_(), a = in.a.detach().requires_grad_(), b = in.b.detach().requires_grad_(),
         w = in.weight.detach().requires_grad_();
    const auto delta = lwb::gatheredLoraDelta(x, a, b, in.index, w, path);
    const auto grads = torch::autograd::grad({(delta * gradY).sum()}, {x, a, b, w}, {}, false, false, true);
    auto orZeros
        = [](const torch::Tensor &g, const torch::Tensor &like) { return g.defined() ? g : torch::zeros_like(like); };
    return {delta.detach(), orZeros(grads[0], x), orZeros(grads[1], a), orZeros(grads[2], b), orZeros(grads[3], w)};
}

// The kernels/ host reference on CPU tensors of T (float or double).
template <typename T> Gradients hostReference(const GatherInputs &in, const torch::Tensor &gradY)
{
    const auto dtype = in.x.scalar_type();
    lwb::kernels::GatheredLoraShape shape{in.x.size(0), in.index.size(1), in.a.size(0),
                                          in.a.size(1), in.x.size(1),     in.b.size(1)};
    const auto x = in.x.contiguous(), a = in.a.contiguous(), b = in.b.contiguous(), index = in.index.contiguous(),
               w = in.weight.contiguous(), dy = gradY.to(dtype).contiguous();
    auto h = torch::empty({shape.tokens, shape.pairs, shape.rank}, x.options());
    Gradients out;
    out.delta = torch::zeros({shape.tokens, shape.out}, x.options());
    lwb::kernels::gatheredLoraForwardReference<T>(shape, x.data_ptr<T>(), a.data_ptr<T>(), b.data_ptr<T>(),
                                                  index.data_ptr<std::int64_t>(), w.data_ptr<T>(), h.data_ptr<T>(),
                                                  out.delta.data_ptr<T>());
    out.x = torch::empty_like(x);
    out.a = torch::empty_like(a);
    out.b = torch::empty_like(b);
    out.weight = torch::empty_like(w);
    lwb::kernels::gatheredLoraBackwardReference<T>(shape, x.data_ptr<T>(), a.data_ptr<T>(), b.data_ptr<T>(),
                                                   index.data_ptr<std::int64_t>(), w.data_ptr<T>(), h.data_ptr<T>(),
                                                   dy.data_ptr<T>(), out.x.data_ptr<T>(), out.a.data_ptr<T>(),
                                                   out.b.data_ptr<T>(), out.weight.data_ptr<T>());
    return out;
}

void compare(const Gradients &actual, const Gradients &expected, double tolerance, const std::string &what)
{
    const std::pair<const char *, std::pair<torch::Tensor, torch::Tensor>> parts[] = {
        {"delta", {actual.delta, expected.delta}},
        {"dX", {actual.x, expected.x}},
        {"dA", {actual.a, expected.a}},
        {"dB", {actual.b, expected.b}},
        {"dW", {actual.weight, expected.weight}},
    };
    for (const auto &[name, pair] : parts) {
        const double error = relativeError(pair.first, pair.second);
        QVERIFY2(error <= tolerance, (what + ": " + name + " off by " + std::to_string(error)).c_str());
    }
}

// Logits on a 0.25 grid in [-2, 2] (see the file comment), some rows all equal.
torch::Tensor gridLogits(std::int64_t tokens, std::int64_t experts, std::uint64_t seed)
{
    torch::manual_seed(seed);
    auto logits = torch::randint(-8, 9, {tokens, experts}, torch::kInt64).to(torch::kFloat64) * 0.25;
    if (tokens > 3) {
        logits[1].fill_(0.5);                                                  // one tie over every expert
        logits[3].narrow(0, 0, std::min<std::int64_t>(experts, 3)).fill_(2.0); // a tie at the top
    }
    return logits;
}

lwb::SiraRoutingOptions sira(std::int64_t experts, std::int64_t topK, double capacity, bool renormalize)
{
    lwb::SiraRoutingOptions options;
    options.experts = experts;
    options.topK = topK;
    options.capacityFactor = capacity;
    options.renormalizeGates = renormalize;
    options.expertDropout = 0.0;
    options.path = lwb::SiraRoutingPath::Tensor;
    return options;
}

// The one-pass routing against the tensor path's routing of the same logits.
void compareRouting(const lwb::OnePassRouting &pass, const lwb::SiraRouting &tensor, std::int64_t experts,
                    double gateTolerance, const std::string &what)
{
    QVERIFY2(torch::equal(pass.experts.cpu(), tensor.experts.cpu()), (what + ": experts").c_str());
    QVERIFY2(torch::equal(pass.admitted.cpu(), tensor.admitted.cpu()), (what + ": admitted").c_str());
    QCOMPARE(pass.capacity.defined(), tensor.capacity.defined());
    if (pass.capacity.defined())
        QVERIFY2(torch::equal(pass.capacity.cpu(), tensor.capacity.cpu()), (what + ": capacity").c_str());
    const double gateError = relativeError(pass.gates, tensor.gates);
    QVERIFY2(gateError <= gateTolerance, (what + ": gates off by " + std::to_string(gateError)).c_str());
    const auto figures = lwb::unpackRoutingFigures(tensor.figureTensor, experts);
    const auto counts = pass.counts.cpu();
    const auto admittedPerExpert
        = torch::zeros({experts}, torch::kInt64)
              .index_add_(0, tensor.experts.cpu().reshape({-1}), tensor.admitted.cpu().reshape({-1}).to(torch::kInt64));
    for (std::int64_t e = 0; e < experts; ++e) {
        QCOMPARE(static_cast<double>(counts[e].item<std::int64_t>()), figures.assignments[e]);
        QCOMPARE(static_cast<double>(counts[experts + e].item<std::int64_t>()), figures.firstChoices[e]);
        QCOMPARE(counts[2 * experts + e].item<std::int64_t>(), admittedPerExpert[e].item<std::int64_t>());
    }
    QCOMPARE(static_cast<double>(counts[3 * experts].item<std::int64_t>()), figures.droppedAssignments);
}

struct RoutingCase
{
    std::int64_t tokens, experts, topK, groups;
    double capacity;
    bool renormalize;
};

const std::vector<RoutingCase> &routingCases()
{
    static const std::vector<RoutingCase> cases{
        {64, 8, 2, 1, 1.25, true}, {48, 6, 3, 4, 1.0, true}, {40, 8, 2, 2, 0.0, true},
        {30, 5, 1, 3, 0.5, false}, {16, 4, 4, 1, 2.0, true}, {0, 8, 2, 1, 1.25, true},
    };
    return cases;
}

torch::Tensor paddedMask(std::int64_t tokens)
{
    auto real = torch::ones({tokens}, torch::kBool);
    for (std::int64_t t = 5; t < tokens; t += 7)
        real[t] = false;
    return real;
}

bool cudaKernelsRun(QString &reason)
{
    if (!torch::cuda::is_available()) {
        reason = "no CUDA device";
        return false;
    }
#ifndef LWB_HAVE_CUDA
    reason = "this build has no CUDA kernels (configured without nvcc)";
    return false;
#else
    return true;
#endif
}

} // namespace

class TestGatheredLora : public QObject
{
    Q_OBJECT

private slots:
    void compositionMatchesHostReference()
    {
        std::uint64_t seed = 1;
        for (const auto &c : gatherCases())
            for (const auto dtype : {torch::kFloat64, torch::kFloat32}) {
                const auto in = randomInputs(c, dtype, seed++);
                const auto gradY = torch::randn({c.tokens, c.out}, torch::dtype(dtype));
                const auto actual = differentiate(in, gradY, lwb::GatheredLoraPath::Auto);
                const auto expected
                    = dtype == torch::kFloat64 ? hostReference<double>(in, gradY) : hostReference<float>(in, gradY);
                compare(actual, expected, dtype == torch::kFloat64 ? 1e-12 : 2e-5, describe(c, dtype));
            }
    }

    void forwardMatchesFloat64LoopOverPairs()
    {
        std::uint64_t seed = 100;
        for (const auto &c : gatherCases()) {
            const auto in = randomInputs(c, torch::kFloat64, seed++);
            auto expected = torch::zeros({c.tokens, c.out}, torch::kFloat64);
            for (std::int64_t t = 0; t < c.tokens; ++t)
                for (std::int64_t j = 0; j < c.pairs; ++j) {
                    const auto adapter = in.index[t][j].item<std::int64_t>();
                    if (adapter < 0)
                        continue;
                    expected[t] += in.weight[t][j] * in.b[adapter].matmul(in.a[adapter].matmul(in.x[t]));
                }
            const auto actual = lwb::gatheredLoraDelta(in.x, in.a, in.b, in.index, in.weight);
            QVERIFY2(relativeError(actual, expected) <= 1e-13, describe(c, torch::kFloat64).c_str());
        }
    }

    // Central differences of sum(delta * gradY) along random directions, per input.
    void gradientsMatchCentralDifferences()
    {
        const GatherCase c{5, 3, 3, 2, 6, 4};
        const auto in = randomInputs(c, torch::kFloat64, 7);
        const auto gradY = torch::randn({c.tokens, c.out}, torch::kFloat64);
        const auto grads = differentiate(in, gradY, lwb::GatheredLoraPath::Composition);
        auto objective = [&](const GatherInputs &at) {
            return (lwb::gatheredLoraDelta(at.x, at.a, at.b, at.index, at.weight) * gradY).sum().item<double>();
        };
        constexpr double kStep = 1e-6;
        for (int input = 0; input < 4; ++input) {
            auto plus = in, minus = in;
            torch::Tensor *targets[2][4]
                = {{&plus.x, &plus.a, &plus.b, &plus.weight}, {&minus.x, &minus.a, &minus.b, &minus.weight}};
            const torch::Tensor grad[] = {grads.x, grads.a, grads.b, grads.weight};
            const auto direction = torch::randn_like(grad[input]);
            *targets[0][input] = *targets[0][input] + kStep * direction;
            *targets[1][input] = *targets[1][input] - kStep * direction;
            const double numeric = (objective(plus) - objective(minus)) / (2 * kStep);
            const double analytic = (grad[input] * direction).sum().item<double>();
            QVERIFY2(
                std::abs(numeric - analytic) <= 1e-6 * std::max(1.0, std::abs(analytic)),
                ("input " + std::to_string(input) + ": " + std::to_string(numeric) + " vs " + std::to_string(analytic))
                    .c_str());
        }
    }

    // SiRA: y = s sum_e gate_e B_e A_e x with the routing's [T, k] experts
    // and gates is the gathered apply with weights gate * s.
    void servesSiraMixture()
    {
        const std::int64_t tokens = 24, experts = 6, topK = 2, rank = 3, in = 10, out = 7;
        const double scale = 1.5;
        torch::manual_seed(31);
        const auto f64 = torch::dtype(torch::kFloat64);
        const auto logits = torch::randn({tokens, experts}, f64);
        lwb::SiraRouting routing;
        lwb::routeTokensByTensorOps(logits, paddedMask(tokens), 1, sira(experts, topK, 1.0, true), false, routing);
        QVERIFY(routing.admitted.logical_not().any().item<bool>()); // capacity dropped some: weight 0 on those
        const auto x = torch::randn({tokens, in}, f64), gradY = torch::randn({tokens, out}, f64);
        const auto a = torch::randn({experts, rank, in}, f64), b = torch::randn({experts, out, rank}, f64);
        const auto expertGates = routing.expertGates.detach();

        auto run = [&](bool gathered) {
            auto xv = x.clone().requires_grad_(), av = a.clone().requires_grad_(), bv = b.clone().requires_grad_(),
                 gv = expertGates.clone().requires_grad_();
            const auto y
                = gathered ? lwb::gatheredLoraDelta(xv, av, bv, routing.experts, gv.gather(1, routing.experts) * scale)
                           : lwb::mixLoraExperts(xv, av, bv, gv, scale);
            const auto grads = torch::autograd::grad({(y * gradY).sum()}, {xv, av, bv, gv});
            // Only the chosen entries of dL/dexpertGates are compared: the
            // dense form also differentiates gates of unchosen experts.
            return std::vector<torch::Tensor>{y, grads[0], grads[1], grads[2], grads[3].gather(1, routing.experts)};
        };
        const auto dense = run(false), gathered = run(true);
        const char *names[] = {"delta", "dX", "dA", "dB", "dGates"};
        for (std::size_t i = 0; i < dense.size(); ++i)
            QVERIFY2(relativeError(gathered[i], dense[i]) <= 1e-12, names[i]);
    }

    // DLP-LoRA: every token of sequence b takes the N task LoRAs with weights w[b, i] s_i.
    void servesDlpFusedForward()
    {
        const std::int64_t batch = 3, length = 5, in = 8, out = 6, tasks = 4, rank = 3;
        torch::manual_seed(41);
        auto fused = std::make_shared<lwb::DlpFusedAdapterImpl>(in, out, tasks, rank);
        fused->to(torch::kFloat64);
        for (std::int64_t i = 0; i < tasks; ++i)
            fused->setTaskLora(i, torch::randn({rank - i % 2, in}, torch::kFloat64),
                               torch::randn({out, rank - i % 2}, torch::kFloat64), 0.5 + i);
        const auto weights
            = torch::tensor({0.7, 0.0, 0.3, 0.0, /**/ 0.0, 1.0, 0.0, 0.0, /**/ 0.2, 0.3, 0.0, 0.5}, torch::kFloat64)
                  .reshape({batch, tasks});
        fused->setFusionWeights(weights);
        const auto x = torch::randn({batch, length, in}, torch::kFloat64);
        torch::NoGradGuard noGrad;
        const auto expected = fused->delta(x);
        const auto perToken = (weights * fused->taskScale.unsqueeze(0)).unsqueeze(1).expand({batch, length, tasks});
        const auto index = torch::arange(tasks).expand({batch * length, tasks});
        const auto actual = lwb::gatheredLoraDelta(x.reshape({batch * length, in}), fused->loraA, fused->loraB, index,
                                                   perToken.reshape({batch * length, tasks}));
        QVERIFY(relativeError(actual.view({batch, length, out}), expected) <= 1e-12);
    }

    void badInputsAreClearErrors()
    {
        const auto in = randomInputs({4, 2, 3, 2, 5, 6}, torch::kFloat32, 3);
        auto expectError = [](const std::function<void()> &call, const std::string &needle) {
            try {
                call();
            } catch (const std::invalid_argument &error) {
                QVERIFY2(std::string(error.what()).find(needle) != std::string::npos, error.what());
                return;
            }
            QFAIL(("no error for " + needle).c_str());
        };
        expectError([&] { lwb::gatheredLoraDelta(in.x.t(), in.a, in.b, in.index, in.weight); }, "loraA must be");
        expectError([&] { lwb::gatheredLoraDelta(in.x, in.a, in.b.transpose(1, 2), in.index, in.weight); },
                    "loraB must be");
        expectError([&] { lwb::gatheredLoraDelta(in.x, in.a, in.b, in.index.to(torch::kInt32), in.weight); },
                    "index must be int64");
        expectError([&] { lwb::gatheredLoraDelta(in.x, in.a.to(torch::kFloat64), in.b, in.index, in.weight); },
                    "share one dtype");
        expectError([&] { lwb::gatheredLoraDelta(in.x, in.a, in.b, in.index + 5, in.weight); }, "[-1, 3)");
        expectError([&] { lwb::gatheredLoraDelta(in.x, in.a, in.b, in.index, in.weight.t()); }, "weight must have");
        if (!lwb::gatheredLoraKernelRuns(in.x))
            expectError(
                [&] { lwb::gatheredLoraDelta(in.x, in.a, in.b, in.index, in.weight, lwb::GatheredLoraPath::Kernel); },
                "kernel path needs");
    }

    void routingReferenceMatchesTensorOps()
    {
        std::uint64_t seed = 20;
        for (const auto &c : routingCases())
            for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
                const auto logits = gridLogits(c.tokens, c.experts, seed++).to(dtype);
                const auto real = paddedMask(c.tokens);
                lwb::SiraRouting tensor;
                lwb::routeTokensByTensorOps(logits, real, c.groups, sira(c.experts, c.topK, c.capacity, c.renormalize),
                                            false, tensor);
                const auto pass = lwb::routeInOnePass(logits, real, c.groups, c.topK, c.capacity, c.renormalize);
                std::ostringstream what;
                what << c10::toString(dtype) << " T " << c.tokens << " E " << c.experts << " k " << c.topK << " groups "
                     << c.groups << " capacity " << c.capacity;
                compareRouting(pass, tensor, c.experts, dtype == torch::kFloat64 ? 1e-15 : 1e-6, what.str());
            }
    }

    // Expert dropout before capacity: the tensor path's keep mask as `queues`;
    // inverted scaling is then the caller's one multiply.
    void routingWithDropoutMaskAsQueues()
    {
        const std::int64_t tokens = 96, experts = 8, topK = 2;
        const auto logits = gridLogits(tokens, experts, 5).to(torch::kFloat32);
        const auto real = paddedMask(tokens);
        auto options = sira(experts, topK, 1.0, true);
        options.expertDropout = 0.25;
        options.dropoutBeforeCapacity = true;
        lwb::SiraRouting tensor;
        torch::manual_seed(11);
        lwb::routeTokensByTensorOps(logits, real, 2, options, true, tensor);
        QVERIFY(tensor.dropoutKept.defined());
        const auto pass = lwb::routeInOnePass(logits, real, 2, topK, 1.0, true, tensor.dropoutKept);
        QVERIFY(torch::equal(pass.experts, tensor.experts));
        QVERIFY(torch::equal(pass.admitted, tensor.admitted));
        QVERIFY(torch::equal(pass.capacity, tensor.capacity));
        const auto scaled = pass.gates * tensor.dropoutKept.to(torch::kFloat32) * static_cast<float>(1.0 / 0.75);
        QVERIFY2(relativeError(scaled, tensor.gates) <= 1e-6, "inverted dropout scaling");
        QVERIFY(tensor.dropoutKept.logical_not().any().item<bool>()); // the mask did drop something
    }

    void routingErrors()
    {
        const auto logits = torch::zeros({6, 4});
        const auto real = torch::ones({6}, torch::kBool);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, lwb::routeInOnePass(logits, real, 4, 2, 1.0, true));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, lwb::routeInOnePass(logits, real, 1, 5, 1.0, true));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 lwb::routeInOnePass(logits.to(torch::kBFloat16), real, 1, 2, 1.0, true));
    }

    void kernelMatchesCompositionOnCuda()
    {
        QString reason;
        if (!cudaKernelsRun(reason))
            QSKIP(qPrintable(reason));
        std::uint64_t seed = 200;
        const torch::Device cuda(torch::kCUDA, 0);
        for (const auto &c : gatherCases())
            for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
                const auto in = randomInputs(c, dtype, seed++, cuda);
                const auto gradY = torch::randn({c.tokens, c.out}, torch::dtype(dtype).device(cuda));
                const auto kernel = differentiate(in, gradY, lwb::GatheredLoraPath::Kernel);
                // The composition in float32 of the same (bf16-rounded) values.
                GatherInputs wide = in;
                for (auto *t : {&wide.x, &wide.a, &wide.b, &wide.weight})
                    *t = t->to(torch::kFloat32);
                const auto expected
                    = differentiate(wide, gradY.to(torch::kFloat32), lwb::GatheredLoraPath::Composition);
                compare(kernel, expected, dtype == torch::kFloat32 ? 1e-5 : 2e-2, describe(c, dtype) + " (CUDA)");
            }
    }

    void routingKernelMatchesTensorOpsOnCuda()
    {
        QString reason;
        if (!cudaKernelsRun(reason))
            QSKIP(qPrintable(reason));
        std::uint64_t seed = 300;
        const torch::Device cuda(torch::kCUDA, 0);
        for (const auto &c : routingCases())
            for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
                const auto logits = gridLogits(c.tokens, c.experts, seed++).to(cuda, dtype);
                const auto real = paddedMask(c.tokens).to(cuda);
                lwb::SiraRouting tensor;
                lwb::routeTokensByTensorOps(logits, real, c.groups, sira(c.experts, c.topK, c.capacity, c.renormalize),
                                            false, tensor);
                const auto pass = lwb::routeInOnePass(logits, real, c.groups, c.topK, c.capacity, c.renormalize);
                std::ostringstream what;
                what << "CUDA " << c10::toString(dtype) << " T " << c.tokens << " E " << c.experts << " k " << c.topK;
                compareRouting(pass, tensor, c.experts, dtype == torch::kFloat32 ? 1e-6 : 1e-2, what.str());
            }
    }
};

QTEST_APPLESS_MAIN(TestGatheredLora)
#include "test_gathered_lora.moc"
