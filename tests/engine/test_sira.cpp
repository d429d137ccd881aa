// SiRA against a plain reference written token by token and expert by expert
// in float64: forward output and the gradients of the router and of every
// expert's A and B (rel err <= 1e-10) for k in {1, 2, E}, with and without
// capacity drops (the dropped assignments themselves checked), per-batch and
// per-sequence capacity groups with padding; the capacity formula and the
// evaluation capacity factor; the statistics a step reports; and k = E
// without capacity or dropout equal to a dense soft mixture. The reference
// cases run the CPU's expert blocks; the dense mixture (the form on other
// devices) is checked against them, in float64 and float32. Expert dropout
// and the balance losses are in test_sira_dropout_balance.cpp.
#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/adapters/sira_mixture.h"
#include "engine/adapters/sira_routing.h"
#include "sira_test_layer.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace {

using lwb::SiraAdapterImpl;
using lwb::test::Case;
using lwb::test::makeLayer;
using lwb::test::relativeError;

constexpr std::int64_t kIn = lwb::test::kSiraIn, kOut = lwb::test::kSiraOut, kRank = lwb::test::kSiraRank;

struct Reference
{
    torch::Tensor output;                    // [B, T, out]
    std::vector<std::vector<bool>> admitted; // [token][choice]
    std::vector<std::vector<std::int64_t>> choices;
};

// The obvious algorithm, one token and one expert at a time. Parameters are
// the caller's leaf tensors, so backward() gives the reference gradients.
Reference referenceForward(const torch::Tensor &x, const std::vector<bool> &real, const torch::Tensor &w,
                           const torch::Tensor &bias, const torch::Tensor &router, const torch::Tensor &a,
                           const torch::Tensor &b, double scale, const Case &c)
{
    const auto batch = x.size(0), length = x.size(1);
    const auto tokens = batch * length;
    const auto flat = x.reshape({tokens, kIn});
    Reference ref;
    std::vector<std::vector<torch::Tensor>> gates(static_cast<std::size_t>(tokens));
    for (std::int64_t t = 0; t < tokens; ++t) {
        const auto logits = torch::mv(router, flat[t]);
        const auto shifted = torch::exp(logits - logits.max());
        const auto probs = shifted / shifted.sum();
        std::vector<std::int64_t> order(static_cast<std::size_t>(c.experts));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) {
            return probs[i].item<double>() > probs[j].item<double>();
        });
        order.resize(static_cast<std::size_t>(c.topK));
        auto chosenMass = torch::zeros({}, torch::kFloat64);
        for (auto e : order)
            chosenMass = chosenMass + probs[e];
        for (auto e : order)
            gates[static_cast<std::size_t>(t)].push_back(c.renormalize ? probs[e] / chosenMass : probs[e]);
        ref.choices.push_back(order);
    }
    // Capacity: per group, first choices of all tokens in order, then second choices.
    ref.admitted.assign(static_cast<std::size_t>(tokens), std::vector<bool>(static_cast<std::size_t>(c.topK), false));
    const std::int64_t groupSize = c.perSequence ? length : tokens;
    for (std::int64_t start = 0; start < tokens; start += groupSize) {
        std::int64_t realCount = 0;
        for (std::int64_t t = start; t < start + groupSize; ++t)
            realCount += real[static_cast<std::size_t>(t)] ? 1 : 0;
        const double capacity
            = c.capacityFactor > 0.0
                  ? std::ceil(c.capacityFactor * double(c.topK) * double(realCount) / double(c.experts) - 1e-9)
                  : 1e18;
        std::vector<std::int64_t> used(static_cast<std::size_t>(c.experts), 0);
        for (std::int64_t j = 0; j < c.topK; ++j) {
            for (std::int64_t t = start; t < start + groupSize; ++t) {
                if (!real[static_cast<std::size_t>(t)])
                    continue;
                const auto e = ref.choices[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)];
                ref.admitted[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)]
                    = double(++used[static_cast<std::size_t>(e)]) <= capacity;
            }
        }
    }
    std::vector<torch::Tensor> rows;
    for (std::int64_t t = 0; t < tokens; ++t) {
        auto h = torch::mv(w, flat[t]) + bias;
        for (std::int64_t j = 0; j < c.topK; ++j) {
            if (!ref.admitted[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)])
                continue;
            const auto e = ref.choices[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)];
            const auto expert = torch::mv(b[e], torch::mv(a[e], flat[t]));
            h = h + scale * gates[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)] * expert;
        }
        rows.push_back(h);
    }
    ref.output = torch::stack(rows).reshape({batch, length, kOut});
    return ref;
}

torch::Tensor maskTensor(const std::vector<bool> &real, std::int64_t batch, std::int64_t length)
{
    auto mask = torch::zeros({batch * length}, torch::kBool);
    for (std::size_t i = 0; i < real.size(); ++i)
        mask[static_cast<std::int64_t>(i)] = static_cast<bool>(real[i]);
    return mask.reshape({batch, length});
}

} // namespace

class TestSira : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(11); }

    void forwardAndGradientsMatchReference_data()
    {
        QTest::addColumn<int>("experts");
        QTest::addColumn<int>("topK");
        QTest::addColumn<double>("capacityFactor");
        QTest::addColumn<bool>("renormalize");
        QTest::addColumn<bool>("perSequence");
        QTest::addColumn<bool>("padding");
        QTest::newRow("k=1") << 4 << 1 << 0.0 << true << false << false;
        QTest::newRow("k=1 not renormalised (Switch)") << 4 << 1 << 0.0 << false << false << false;
        QTest::newRow("k=2") << 4 << 2 << 0.0 << true << false << false;
        QTest::newRow("k=2 not renormalised") << 4 << 2 << 0.0 << false << false << false;
        QTest::newRow("k=E") << 4 << 4 << 0.0 << true << false << false;
        QTest::newRow("k=1 capacity drops") << 4 << 1 << 0.5 << false << false << false;
        QTest::newRow("k=2 capacity drops") << 4 << 2 << 0.6 << true << false << true;
        QTest::newRow("k=E capacity drops") << 3 << 3 << 0.7 << true << false << false;
        QTest::newRow("k=2 per-sequence capacity, padding") << 4 << 2 << 0.8 << true << true << true;
        QTest::newRow("E=8 k=2 default factor") << 8 << 2 << 1.25 << true << false << true;
    }

    void forwardAndGradientsMatchReference()
    {
        QFETCH(int, experts);
        QFETCH(int, topK);
        QFETCH(double, capacityFactor);
        QFETCH(bool, renormalize);
        QFETCH(bool, perSequence);
        QFETCH(bool, padding);
        const Case c{experts, topK, capacityFactor, renormalize, perSequence};
        auto layer = makeLayer(c);
        constexpr std::int64_t kBatch = 3, kLength = 6;
        std::vector<bool> real(kBatch * kLength, true);
        if (padding) {
            for (std::int64_t t = 4; t < kLength; ++t)
                real[static_cast<std::size_t>(kLength + t)] = false; // sequence 1 ends after 4 tokens
            real[static_cast<std::size_t>(2 * kLength + 5)] = false;
        }
        const auto x = torch::randn({kBatch, kLength, kIn}, torch::kFloat64);
        const auto g = torch::randn({kBatch, kLength, kOut}, torch::kFloat64);

        layer.sira->beginForward({maskTensor(real, kBatch, kLength)});
        const auto out = layer.linear->forward(x);
        (out * g).sum().backward();

        auto router = layer.sira->router.detach().clone().requires_grad_(true);
        auto a = layer.sira->loraA.detach().clone().requires_grad_(true);
        auto b = layer.sira->loraB.detach().clone().requires_grad_(true);
        const auto ref
            = referenceForward(x, real, layer.linear->weight, layer.linear->bias, router, a, b, layer.sira->scale(), c);
        (ref.output * g).sum().backward();

        QVERIFY2(relativeError(out.detach(), ref.output.detach()) <= 1e-10, "forward");
        if (topK == 1 && renormalize) {
            // A renormalised single gate is p / p = 1: the task loss gives the
            // router no gradient (only the balance loss trains it). Both
            // sides hold rounding noise around zero.
            QVERIFY(layer.sira->router.grad().abs().max().item<double>() <= 1e-12);
            QVERIFY(router.grad().abs().max().item<double>() <= 1e-12);
        } else {
            QVERIFY2(relativeError(layer.sira->router.grad(), router.grad()) <= 1e-10, "router gradient");
        }
        QVERIFY2(relativeError(layer.sira->loraA.grad(), a.grad()) <= 1e-10, "A gradient");
        QVERIFY2(relativeError(layer.sira->loraB.grad(), b.grad()) <= 1e-10, "B gradient");

        // The same experts chosen, and exactly the same assignments dropped.
        const auto &routing = layer.sira->lastRouting();
        const auto chosen = routing.experts.accessor<std::int64_t, 2>();
        const auto admitted = routing.admitted.to(torch::kBool).contiguous();
        std::int64_t droppedByReference = 0;
        for (std::int64_t t = 0; t < kBatch * kLength; ++t) {
            for (std::int64_t j = 0; j < topK; ++j) {
                const auto ut = static_cast<std::size_t>(t), uj = static_cast<std::size_t>(j);
                QCOMPARE(chosen[t][j], ref.choices[ut][uj]);
                QCOMPARE(admitted[t][j].item<bool>(), static_cast<bool>(ref.admitted[ut][uj]));
                droppedByReference += real[ut] && !ref.admitted[ut][uj] ? 1 : 0;
            }
        }
        if (capacityFactor > 0.0 && capacityFactor < 1.0)
            QVERIFY2(droppedByReference > 0, "this case is meant to overflow the capacity");
    }

    void denseMixtureMatchesExpertBlocks_data()
    {
        QTest::addColumn<bool>("float64");
        QTest::addColumn<bool>("xNeedsGradient");
        QTest::newRow("float64") << true << true;
        QTest::newRow("float32") << false << true;
        QTest::newRow("float64, x frozen") << true << false;
    }

    void denseMixtureMatchesExpertBlocks()
    {
        // Real routing with capacity drops and expert dropout, an expert left
        // without tokens, then both products and their gradients.
        QFETCH(bool, float64);
        QFETCH(bool, xNeedsGradient);
        const auto dtype = float64 ? torch::kFloat64 : torch::kFloat32;
        constexpr std::int64_t kTokens = 40, kExperts = 6, kIn = 11, kOut = 7, kRankHere = 3;
        lwb::SiraRoutingOptions options;
        options.experts = kExperts;
        options.topK = 2;
        options.capacityFactor = 0.9;
        options.expertDropout = 0.3;
        auto logits = torch::randn({kTokens, kExperts}, torch::kFloat64).mul_(2.0);
        logits.select(1, 5).fill_(-30.0); // expert 5 never chosen
        logits = logits.to(dtype).requires_grad_(true);
        auto real = torch::ones({kTokens}, torch::kBool);
        real[7] = false;
        const auto routing = lwb::routeTokens(logits, real, 1, options, /*training=*/true);
        const auto active = routing.admitted & routing.dropoutKept;
        QVERIFY(routing.admitted.logical_not().logical_and(real.unsqueeze(1)).any().item<bool>());
        QVERIFY(routing.dropoutKept.logical_not().any().item<bool>());

        const auto x = torch::randn({kTokens, kIn}, dtype).requires_grad_(xNeedsGradient);
        const auto a = torch::randn({kExperts, kRankHere, kIn}, dtype).requires_grad_(true);
        const auto b = torch::randn({kExperts, kOut, kRankHere}, dtype).requires_grad_(true);
        const auto gates = routing.expertGates.detach().clone().requires_grad_(true);
        const auto upstream = torch::randn({kTokens, kOut}, dtype);
        const double scale = 1.7;

        const auto blocks = lwb::mixRoutedExperts(x, a, b, gates, routing.experts, active, scale);
        std::vector<torch::Tensor> inputs{a, b, gates};
        if (xNeedsGradient)
            inputs.push_back(x);
        const auto blockGrads = torch::autograd::grad({blocks}, inputs, {upstream});
        const auto dense = lwb::mixLoraExperts(x, a, b, gates, scale);
        const auto denseGrads = torch::autograd::grad({dense}, inputs, {upstream});

        const double tolerance = float64 ? 1e-12 : 1e-5;
        QVERIFY2(relativeError(blocks.detach(), dense.detach()) <= tolerance, "output");
        QVERIFY2(relativeError(blockGrads[0], denseGrads[0]) <= tolerance, "A gradient");
        QVERIFY2(relativeError(blockGrads[1], denseGrads[1]) <= tolerance, "B gradient");
        QVERIFY(blockGrads[0][5].abs().max().item<double>() == 0.0); // the unused expert
        QVERIFY(blockGrads[1][5].abs().max().item<double>() == 0.0);
        // Gate gradients agree where a gate is live; elsewhere the blocks give 0.
        const auto live = torch::zeros({kTokens, kExperts}, torch::kBool).scatter(1, routing.experts, active);
        const auto zero = torch::zeros_like(gates);
        QVERIFY2(relativeError(torch::where(live, blockGrads[2], zero), torch::where(live, denseGrads[2], zero))
                     <= tolerance,
                 "gate gradient");
        QVERIFY(torch::where(live, zero, blockGrads[2]).abs().max().item<double>() == 0.0);
        if (xNeedsGradient)
            QVERIFY2(relativeError(blockGrads[3], denseGrads[3]) <= tolerance, "x gradient");
    }

    void capacityFormula()
    {
        QCOMPARE(lwb::expertCapacity(1.25, 2, 16, 8), std::int64_t(5)); // exactly 5: no round-up
        QCOMPARE(lwb::expertCapacity(1.25, 2, 17, 8), std::int64_t(6)); // 5.3125
        QCOMPARE(lwb::expertCapacity(0.01, 1, 3, 8), std::int64_t(1));  // never below one
        QCOMPARE(lwb::expertCapacity(1.0, 2, 0, 8), std::int64_t(0));
    }

    void denseMixtureWhenEveryExpertIsUsed()
    {
        // k = E, no capacity, no dropout: sum_e p_e B_e A_e x, a soft mixture.
        const Case c{5, 5, 0.0, true, false};
        auto layer = makeLayer(c);
        const auto x = torch::randn({2, 7, kIn}, torch::kFloat64);
        const auto out = layer.linear->forward(x).detach();
        torch::NoGradGuard noGrad;
        const auto probs = torch::softmax(torch::matmul(x, layer.sira->router.t()), -1); // [2, 7, E]
        auto expected = torch::matmul(x, layer.linear->weight.t()) + layer.linear->bias;
        for (std::int64_t e = 0; e < c.experts; ++e) {
            const auto expert = torch::matmul(layer.sira->loraB[e], layer.sira->loraA[e]); // [out, in]
            expected
                = expected + layer.sira->scale() * probs.select(-1, e).unsqueeze(-1) * torch::matmul(x, expert.t());
        }
        QVERIFY(relativeError(out, expected) <= 1e-12);
    }

    void evaluationCapacityFactor()
    {
        // capacity_factor 0.5 in training; evaluation with the same factor
        // drops the same assignments (no dropout in either), with -1 (the
        // default) too, and with eval_capacity_factor 0 none at all.
        const Case c{4, 2, 0.5, true, false};
        const auto x = torch::randn({3, 6, kIn}, torch::kFloat64);
        auto layer = makeLayer(c);
        layer.linear->train();
        layer.linear->forward(x);
        const auto trainAdmitted = layer.sira->lastRouting().admitted.clone();
        QVERIFY(trainAdmitted.logical_not().any().item<bool>());
        layer.linear->eval();
        layer.linear->forward(x);
        QVERIFY(torch::equal(layer.sira->lastRouting().admitted, trainAdmitted)); // -1: the training factor
        QVERIFY(!layer.sira->actsPerToken());

        lwb::SiraConfig config = layer.sira->config();
        config.evalCapacityFactor = 0.0;
        QCOMPARE(config.capacityFactorFor(true), 0.5);
        QCOMPARE(config.capacityFactorFor(false), 0.0);
        lwb::LoraOptions lora;
        lora.rank = kRank;
        auto unlimited = std::make_shared<SiraAdapterImpl>(kIn, kOut, lora, config);
        unlimited->to(torch::kFloat64);
        unlimited->eval();
        unlimited->delta(x);
        QVERIFY(unlimited->lastRouting().admitted.all().item<bool>());
        QVERIFY(unlimited->actsPerToken()); // generation may use a KV cache
        unlimited->train();
        unlimited->delta(x);
        QVERIFY(unlimited->lastRouting().admitted.logical_not().any().item<bool>());
    }

    void statsReportLoadDropsAndEntropy()
    {
        const Case c{4, 2, 0.5, true, false};
        auto layer = makeLayer(c);
        layer.linear->train();
        const auto x = torch::randn({2, 5, kIn}, torch::kFloat64);
        layer.linear->forward(x);
        const auto &routing = layer.sira->lastRouting();
        const auto dropped = routing.admitted.logical_not().sum().item<std::int64_t>();
        lwb::AdapterStats stats;
        layer.sira->takeStats("layer", stats);
        QCOMPARE(stats.layers.size(), std::size_t(1));
        const auto &layerStats = stats.layers.front();
        QCOMPARE(layerStats.routedTokens, std::int64_t(2 * 5 * 2));
        QCOMPARE(layerStats.droppedTokens, dropped);
        QVERIFY(dropped > 0);
        double loadSum = 0.0;
        for (float load : layerStats.expertLoad)
            loadSum += load;
        QVERIFY(std::abs(loadSum - 1.0) < 1e-6);
        const auto logProbs = torch::log_softmax(routing.logits.detach(), -1);
        const double entropy = -(logProbs.exp() * logProbs).sum(-1).mean().item<double>();
        QVERIFY(std::abs(layerStats.routingEntropy - entropy) < 1e-12);
        QVERIFY(layerStats.meanRoutingEntropy >= layerStats.routingEntropy - 1e-12); // concavity
        // Taken stats reset; evaluation forwards are not counted.
        lwb::AdapterStats again;
        layer.linear->eval();
        layer.linear->forward(x);
        layer.sira->takeStats("layer", again);
        QVERIFY(again.layers.empty());
    }
};

QTEST_APPLESS_MAIN(TestSira)
#include "test_sira.moc"
