// SiRA's routing as tensor ops (engine/adapters/sira_routing_ops.h) against
// the host loops it mirrors (sira_routing.cpp, the reference): on random
// router logits over float32, float64 and bfloat16, several E and k,
// capacity factors (0 = none), one or several groups, padded tokens (a group
// of padding only included), every expert dropout scaling and stage, gates
// raw or renormalised, both balance countings, and rows of exactly tied
// probabilities, the two paths give bitwise the same chosen experts, admitted
// mask, dropout mask, gates, capacities, balance loss and figures, and
// bitwise the same router gradient. A whole SiRA run of a few steps gives
// the same losses along either path (adapter.sira.routing_path). The tensor
// path never waits for a GPU and makes the host path's selections there
// (sameSelectionsOnCuda, skipped without a GPU).
#include "engine/adapters/sira_adapter.h"
#include "engine/adapters/sira_routing.h"
#include "engine/adapters/sira_routing_ops.h"
#include "engine/config/run_config.h"
#include "engine/train/trainer.h"

#include <c10/cuda/CUDAFunctions.h>
#include <torch/cuda.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <sstream>

namespace {

using lwb::SiraRoutingPath;

// The same bits (not only equal values: -0 and 0 differ here).
bool sameBits(const torch::Tensor &a, const torch::Tensor &b)
{
    if (a.defined() != b.defined())
        return false;
    if (!a.defined())
        return true;
    if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type() || a.device() != b.device())
        return false;
    auto x = a.detach().contiguous(), y = b.detach().contiguous();
    if (x.is_floating_point()) {
        const auto bits = x.element_size() == 8 ? torch::kInt64 : x.element_size() == 4 ? torch::kInt32 : torch::kInt16;
        x = x.view(bits);
        y = y.view(bits);
    }
    return torch::equal(x, y);
}

bool sameBits(const std::vector<double> &a, const std::vector<double> &b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

bool sameBits(double a, double b)
{
    return std::memcmp(&a, &b, sizeof(double)) == 0;
}

struct RoutingCase
{
    c10::ScalarType dtype = torch::kFloat32;
    std::int64_t experts = 8, topK = 2, groups = 1;
    double capacityFactor = 1.25;
    double expertDropout = 0.0;
    lwb::SiraDropoutScaling scaling = lwb::SiraDropoutScaling::Inverted;
    bool beforeCapacity = false;
    bool renormalize = true;
    bool firstChoice = false;
    bool training = true;

    std::string describe() const
    {
        std::ostringstream out;
        out << c10::toString(dtype) << " E " << experts << " k " << topK << " groups " << groups << " capacity "
            << capacityFactor << " dropout " << expertDropout << " scaling " << static_cast<int>(scaling)
            << (beforeCapacity ? " before" : " after") << (renormalize ? " renormalised" : " raw")
            << (firstChoice ? " first-choice" : " top-k") << (training ? " training" : " eval");
        return out.str();
    }
};

struct PathResult
{
    lwb::SiraRouting routing;
    lwb::SiraRoutingFigures figures;
    torch::Tensor gradLogits;
};

// One routing pass along `path` and the gradient of a loss that reads the
// gates, the balance loss and the probabilities.
PathResult runPath(SiraRoutingPath path, const RoutingCase &c, const torch::Tensor &logits0, const torch::Tensor &real,
                   const torch::Tensor &gateWeights, const torch::Tensor &probWeights, std::uint64_t seed,
                   bool readFigures = true)
{
    lwb::SiraRoutingOptions options;
    options.experts = c.experts;
    options.topK = c.topK;
    options.capacityFactor = c.capacityFactor;
    options.renormalizeGates = c.renormalize;
    options.expertDropout = c.expertDropout;
    options.dropoutScaling = c.scaling;
    options.dropoutBeforeCapacity = c.beforeCapacity;
    options.balanceFirstChoice = c.firstChoice;
    options.path = path;
    const auto logits = logits0.clone().requires_grad_(true);
    torch::manual_seed(seed);
    PathResult result;
    result.routing = lwb::routeTokens(logits, real, c.groups, options, c.training);
    const auto loss = (result.routing.expertGates * gateWeights).sum() + result.routing.balanceLoss * 0.7
                      + (result.routing.probs * probWeights).sum();
    loss.backward();
    result.gradLogits = logits.grad();
    if (readFigures)
        result.figures = lwb::routingFigures(result.routing);
    return result;
}

// Router logits for `tokens` tokens: random, with a few rows of exact ties
// (all-equal logits give all-equal probabilities) and rows on a coarse grid
// (repeated values, so some probabilities tie).
torch::Tensor routerLogits(std::int64_t tokens, std::int64_t experts, c10::ScalarType dtype)
{
    auto logits = torch::randn({tokens, experts}, torch::kFloat64) * 2.0;
    logits.narrow(0, 0, 2).zero_();
    logits.narrow(0, 2, 3).copy_(torch::randint(0, 3, {3, experts}, torch::kFloat64));
    logits.narrow(0, tokens - 2, 2).fill_(0.5);
    return logits.index_select(0, torch::randperm(tokens)).to(dtype);
}

} // namespace

class TestSiraRoutingOps : public QObject
{
    Q_OBJECT

private:
    // Compares both paths on one case; adds how many assignments were
    // dropped for capacity to `dropped` (so the suite can check it
    // exercised the limit).
    void comparePaths(const RoutingCase &c, std::uint64_t seed, double &dropped)
    {
        torch::manual_seed(seed);
        const std::int64_t perGroup = 12, tokens = perGroup * c.groups;
        const auto logits = routerLogits(tokens, c.experts, c.dtype);
        auto real = torch::rand({tokens}) > 0.2;
        if (c.groups > 1)
            real.narrow(0, perGroup, perGroup).fill_(false); // a group of padding only: capacity 0
        const auto gateWeights = torch::randn({tokens, c.experts}, torch::kFloat64).to(c.dtype);
        const auto probWeights = torch::randn({tokens, c.experts}, torch::kFloat64).to(c.dtype);
        const auto host = runPath(SiraRoutingPath::Host, c, logits, real, gateWeights, probWeights, seed + 1);
        const auto ops = runPath(SiraRoutingPath::Tensor, c, logits, real, gateWeights, probWeights, seed + 1);
        const auto where = c.describe() + " seed " + std::to_string(seed);
        const auto &h = host.routing, &t = ops.routing;
        QVERIFY2(!h.figureTensor.defined() && t.figureTensor.defined(), where.c_str()); // each path ran
        QVERIFY2(sameBits(h.probs, t.probs), where.c_str());
        QVERIFY2(sameBits(h.experts, t.experts), ("experts: " + where).c_str());
        QVERIFY2(sameBits(h.admitted, t.admitted), ("admitted: " + where).c_str());
        QVERIFY2(sameBits(h.dropoutKept, t.dropoutKept), ("dropout mask: " + where).c_str());
        QVERIFY2(sameBits(h.capacity, t.capacity), ("capacity: " + where).c_str());
        QVERIFY2(sameBits(h.gates, t.gates), ("gates: " + where).c_str());
        QVERIFY2(sameBits(h.expertGates, t.expertGates), ("expert gates: " + where).c_str());
        QVERIFY2(sameBits(h.balanceLoss, t.balanceLoss), ("balance loss: " + where).c_str());
        const auto &hf = host.figures, &tf = ops.figures;
        QVERIFY2(sameBits(hf.assignments, tf.assignments), ("assignments: " + where).c_str());
        QVERIFY2(sameBits(hf.firstChoices, tf.firstChoices), ("first choices: " + where).c_str());
        QVERIFY2(sameBits(hf.probabilitySum, tf.probabilitySum), ("probability sums: " + where).c_str());
        QVERIFY2(sameBits(hf.entropySum, tf.entropySum), ("entropy: " + where).c_str());
        QVERIFY2(sameBits(hf.realTokens, tf.realTokens), ("real tokens: " + where).c_str());
        QVERIFY2(sameBits(hf.droppedAssignments, tf.droppedAssignments), ("dropped: " + where).c_str());
        QVERIFY2(sameBits(host.gradLogits, ops.gradLogits), ("router gradient: " + where).c_str());
        // The figures count what they say (not only agree): every real token once.
        QCOMPARE(hf.realTokens, static_cast<double>(real.sum().item<std::int64_t>()));
        dropped += hf.droppedAssignments;
    }

private slots:
    void bitwiseAsHostPathOverCases()
    {
        using Scaling = lwb::SiraDropoutScaling;
        int cases = 0;
        double dropped = 0.0;
        std::uint64_t seed = 100;
        for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
            for (const std::int64_t experts : {4, 8}) {
                for (const std::int64_t topK : {1, 2, 3}) {
                    for (const double capacity : {0.0, 0.5, 1.25}) {
                        for (const std::int64_t groups : {1, 3}) {
                            RoutingCase c;
                            c.dtype = dtype;
                            c.experts = experts;
                            c.topK = topK;
                            c.capacityFactor = capacity;
                            c.groups = groups;
                            c.renormalize = (seed % 3) != 0;
                            c.firstChoice = (seed % 2) == 0;
                            comparePaths(c, seed++, dropped);
                            ++cases;
                            if (QTest::currentTestFailed())
                                return;
                        }
                    }
                }
            }
        }
        // Expert dropout: every scaling and stage, training; and evaluation (no mask).
        for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
            for (const auto scaling : {Scaling::Inverted, Scaling::Renormalize, Scaling::None}) {
                for (const bool before : {false, true}) {
                    for (const std::int64_t topK : {1, 2, 3}) {
                        for (const bool training : {true, false}) {
                            RoutingCase c;
                            c.dtype = dtype;
                            c.topK = topK;
                            c.groups = 2;
                            c.capacityFactor = 0.75;
                            c.expertDropout = 0.4;
                            c.scaling = scaling;
                            c.beforeCapacity = before;
                            c.renormalize = topK != 1;
                            c.training = training;
                            comparePaths(c, seed++, dropped);
                            ++cases;
                            if (QTest::currentTestFailed())
                                return;
                        }
                    }
                }
            }
        }
        QVERIFY(dropped > 0.0); // the capacity limit did drop assignments
        qInfo("%d cases bitwise equal", cases);
    }

    // bfloat16 (the GPU training dtype) through the same comparison.
    void bitwiseAsHostPathInBfloat16()
    {
        RoutingCase c;
        c.dtype = torch::kBFloat16;
        c.capacityFactor = 0.75;
        c.groups = 2;
        c.expertDropout = 0.3;
        double dropped = 0.0;
        comparePaths(c, 7, dropped);
        c.scaling = lwb::SiraDropoutScaling::Renormalize;
        comparePaths(c, 8, dropped);
    }

    // A use of the probs output adds its gradient to the gates' (the host
    // backward once assigned the gates' gradient over it): the gradient of a
    // sum is the sum of the gradients, on both paths. (Each loss of runPath
    // holds the balance term, so it is counted out once.)
    void probsGradientAddsToGatesGradient()
    {
        for (const auto path : {SiraRoutingPath::Host, SiraRoutingPath::Tensor}) {
            torch::manual_seed(5);
            const auto logits0 = torch::randn({10, 4}, torch::kFloat64);
            const auto real = torch::ones({10}, torch::kBool);
            const auto w = torch::randn({10, 4}, torch::kFloat64), v = torch::randn({10, 4}, torch::kFloat64);
            RoutingCase c;
            c.dtype = torch::kFloat64;
            c.experts = 4;
            c.capacityFactor = 0.0;
            const auto zero = torch::zeros_like(w);
            const auto both = runPath(path, c, logits0, real, w, v, 1).gradLogits;
            const auto gates = runPath(path, c, logits0, real, w, zero, 1).gradLogits;
            const auto probs = runPath(path, c, logits0, real, zero, v, 1).gradLogits;
            const auto balance = runPath(path, c, logits0, real, zero, zero, 1).gradLogits; // in all of them
            QVERIFY((both - (gates + probs - balance)).abs().max().item<double>() <= 1e-14);
            QVERIFY((probs - gates).abs().max().item<double>() > 1e-3); // two different gradients
        }
    }

    // On a GPU (skipped without one): both paths route the same CUDA logits
    // (the host path reads them back), so they see the same probabilities and
    // dropout mask and must make the same selections; gates and gradients
    // agree to float rounding, figures to float64 rounding (CUDA's cumsum and
    // log round differently from the CPU's). The tensor path, forward and
    // backward, runs under CUDA's sync debug mode "error", which throws at
    // any operation that waits for the device.
    void sameSelectionsOnCuda()
    {
        if (!torch::cuda::is_available())
            QSKIP("no CUDA device");
        const torch::Device cuda(torch::kCUDA, 0);
        for (const double dropout : {0.0, 0.3}) {
            RoutingCase c;
            c.capacityFactor = 0.75;
            c.groups = 4;
            c.expertDropout = dropout;
            torch::manual_seed(21);
            const std::int64_t tokens = 256 * c.groups;
            const auto logits = routerLogits(tokens, c.experts, c.dtype).to(cuda);
            const auto real = (torch::rand({tokens}) > 0.1).to(cuda);
            const auto w = torch::randn({tokens, c.experts}).to(cuda), v = torch::randn({tokens, c.experts}).to(cuda);
            const auto host = runPath(SiraRoutingPath::Host, c, logits, real, w, v, 3);
            auto &syncMode = c10::cuda::warning_state();
            syncMode.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_ERROR);
            PathResult ops;
            try {
                ops = runPath(SiraRoutingPath::Tensor, c, logits, real, w, v, 3, /*readFigures=*/false);
            } catch (...) {
                syncMode.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
                throw;
            }
            syncMode.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
            ops.figures = lwb::routingFigures(ops.routing);
            QVERIFY(torch::equal(host.routing.experts, ops.routing.experts));
            QVERIFY(torch::equal(host.routing.admitted, ops.routing.admitted));
            QVERIFY(sameBits(host.routing.dropoutKept, ops.routing.dropoutKept));
            QVERIFY(torch::equal(host.routing.capacity, ops.routing.capacity));
            QVERIFY(torch::allclose(host.routing.gates, ops.routing.gates, 1e-6, 1e-7));
            QVERIFY(torch::allclose(host.gradLogits, ops.gradLogits, 1e-5, 1e-6));
            QVERIFY(sameBits(host.figures.assignments, ops.figures.assignments));
            QVERIFY(sameBits(host.figures.droppedAssignments, ops.figures.droppedAssignments));
            for (std::size_t e = 0; e < host.figures.probabilitySum.size(); ++e)
                QVERIFY(std::abs(host.figures.probabilitySum[e] - ops.figures.probabilitySum[e]) <= 1e-9 * tokens);
            QVERIFY(std::abs(host.figures.entropySum - ops.figures.entropySum) <= 1e-9 * tokens);
        }
    }

    // Auto takes the host loops on the CPU; a named path is taken as named.
    void pathChoice()
    {
        lwb::SiraRoutingOptions options;
        QVERIFY(lwb::resolvedRoutingPath(options, torch::kCPU) == SiraRoutingPath::Host);
        QVERIFY(lwb::resolvedRoutingPath(options, c10::Device(c10::kCUDA, 0)) == SiraRoutingPath::Tensor);
        options.path = SiraRoutingPath::Tensor;
        QVERIFY(lwb::resolvedRoutingPath(options, torch::kCPU) == SiraRoutingPath::Tensor);
        options.path = SiraRoutingPath::Host;
        QVERIFY(lwb::resolvedRoutingPath(options, c10::Device(c10::kCUDA, 0)) == SiraRoutingPath::Host);
    }

    // A whole SiRA run (capacity, expert dropout, jitter, balance and z
    // losses, accumulation) gives the same losses along either path.
    void trainingRunSameLossesEitherPath()
    {
        auto config = [](const QString &dir, const std::string &path) {
            nlohmann::json doc = {
                {"name", "sira-routing-path"},
                {"seed", 4},
                {"model",
                 {{"preset", "gpt2-tiny"},
                  {"hidden_size", 64},
                  {"num_hidden_layers", 2},
                  {"num_attention_heads", 4},
                  {"intermediate_size", 128}}},
                {"data", {{"eval_examples", 8}}},
                {"adapter",
                 {{"variant", "sira"},
                  {"r", 2},
                  {"alpha", 4},
                  {"dropout", 0.05},
                  {"targets", {"c_attn", "c_fc"}},
                  {"sira",
                   {{"experts", 4},
                    {"top_k", 2},
                    {"capacity_factor", 1.0},
                    {"expert_dropout", 0.2},
                    {"router_jitter", 0.01},
                    {"aux_loss_coef", 0.05},
                    {"z_loss_coef", 0.001},
                    {"routing_path", path}}}}},
                {"training",
                 {{"steps", 4},
                  {"batch_size", 4},
                  {"grad_accum", 2},
                  {"warmup_steps", 1},
                  {"output_dir", dir.toStdString()}}},
                {"eval", {{"every", 0}, {"batch_size", 8}}},
            };
            return lwb::parseRunConfig(doc, "test");
        };
        QTemporaryDir hostDir, tensorDir;
        lwb::Trainer host(config(hostDir.path(), "host"));
        QCOMPARE(host.run(), lwb::RunOutcome::Finished);
        lwb::Trainer tensor(config(tensorDir.path(), "tensor"));
        QCOMPARE(tensor.run(), lwb::RunOutcome::Finished);
        QCOMPARE(host.losses().size(), std::size_t(4));
        QCOMPARE(host.losses(), tensor.losses()); // bitwise
    }
};

QTEST_APPLESS_MAIN(TestSiraRoutingOps)
#include "test_sira_routing_ops.moc"
