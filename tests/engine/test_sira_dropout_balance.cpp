// SiRA's expert dropout and balance losses: expert dropout reproducible and
// exactly renormalised, finite gradients for a tiny surviving gate, each
// reading of expert dropout (inverted / renormalised / unscaled, before /
// after capacity), forward and router gradient, against autograd through the
// formulas; the balance loss against hand-computed values (top-k and
// first-choice counting), its gradient against autograd, and its reduction
// over layers. The forward against the token-by-token reference is in
// test_sira.cpp.
#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/sira_adapter.h"
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

} // namespace

class TestSiraDropoutBalance : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(11); }

    void expertDropoutReproducibleAndRenormalised()
    {
        const Case c{6, 3, 0.0, true, false};
        auto layer = makeLayer(c, /*expertDropout=*/0.4, "renormalize");
        layer.linear->train();
        const auto x = torch::randn({4, 8, kIn}, torch::kFloat64);
        torch::manual_seed(123);
        const auto first = layer.linear->forward(x).detach();
        const auto keptFirst = layer.sira->lastRouting().dropoutKept.clone();
        const auto gatesFirst = layer.sira->lastRouting().gates.detach().clone();
        torch::manual_seed(123);
        const auto second = layer.linear->forward(x).detach();
        QVERIFY(torch::equal(keptFirst, layer.sira->lastRouting().dropoutKept));
        QVERIFY(torch::equal(first, second));

        // Some but not all gates dropped; each row's survivors sum to exactly 1.
        const auto keptCount = keptFirst.sum(-1);
        QVERIFY(keptFirst.logical_not().any().item<bool>());
        QVERIFY(keptFirst.any().item<bool>());
        const auto sums = gatesFirst.sum(-1);
        for (std::int64_t t = 0; t < sums.size(0); ++t) {
            if (keptCount[t].item<std::int64_t>() > 0)
                QVERIFY(std::abs(sums[t].item<double>() - 1.0) <= 1e-15);
            else
                QCOMPARE(sums[t].item<double>(), 0.0); // every gate dropped: h = W x
        }
        // Survivors keep their ratios: gate_j / gate_i = p_j / p_i.
        const auto &routing = layer.sira->lastRouting();
        const auto chosenProbs = routing.probs.detach().gather(1, routing.experts);
        const auto expectedGates = torch::where(keptFirst, chosenProbs, torch::zeros_like(chosenProbs));
        const auto expectedSums = expectedGates.sum(-1, true);
        const auto normalised = torch::where(expectedSums > 0, expectedGates / expectedSums.clamp_min(1e-300),
                                             torch::zeros_like(expectedGates));
        QVERIFY(relativeError(gatesFirst, normalised) <= 1e-14);

        // Evaluation mode: no dropout at all.
        layer.linear->eval();
        layer.linear->forward(x);
        QVERIFY(!layer.sira->lastRouting().dropoutKept.defined());
    }

    void expertDropoutGradientFiniteForTinySurvivor()
    {
        // float32, two experts, the second at p = e^-70 ~ 4e-31: where expert
        // dropout removes the first choice and keeps the second, the survivor
        // takes the whole mass, and its gradient must stay finite (it became
        // NaN when computed through 1 / survived^2, which underflows).
        constexpr std::int64_t kTokens = 64;
        lwb::SiraRoutingOptions options;
        options.experts = 2;
        options.topK = 2;
        options.capacityFactor = 0.0;
        options.expertDropout = 0.5;
        options.dropoutScaling = lwb::SiraDropoutScaling::Renormalize;
        auto base = torch::zeros({kTokens, 2}, torch::kFloat64);
        base.select(1, 1).fill_(-70.0);
        base.select(1, 0).normal_(0.0, 0.1);
        const auto logits = base.to(torch::kFloat32).requires_grad_(true);
        const auto weights = torch::randn({kTokens, 2}, torch::kFloat64);
        const auto all = torch::ones({kTokens}, torch::kBool);
        torch::manual_seed(5);
        const auto routing = lwb::routeTokens(logits, all, 1, options, /*training=*/true);
        (routing.expertGates * weights.to(torch::kFloat32)).sum().backward();

        const auto keep = routing.dropoutKept;
        const auto soleTiny = keep.select(1, 0).logical_not() & keep.select(1, 1);
        QVERIFY2(soleTiny.any().item<bool>(), "some token keeps only its tiny second choice");
        QVERIFY(torch::isfinite(logits.grad()).all().item<bool>());
        const auto tinyRows = soleTiny.nonzero().squeeze(1);
        QVERIFY((routing.gates.index_select(0, tinyRows).select(1, 1) == 1.0f).all().item<bool>());

        // The same gates in float64 through autograd's plain formulas, same masks.
        const auto reference = base.clone().requires_grad_(true);
        const auto probs = torch::softmax(reference, -1);
        const auto chosen = probs.gather(1, routing.experts);
        const auto renormalised = chosen / chosen.sum(-1, true);
        const auto survivors = torch::where(keep, renormalised, torch::zeros_like(renormalised));
        const auto gates = survivors / survivors.sum(-1, true).clamp_min(1e-300) * renormalised.sum(-1, true);
        const auto expertGates = torch::zeros_like(probs).scatter_add(1, routing.experts, gates);
        (expertGates * weights).sum().backward();
        // A sole survivor's gate is the whole (renormalised) mass, 1: its
        // true gradient is 0, which the float32 path gives exactly; the
        // float64 autograd reference leaves ~1e-16 of cancellation noise
        // there, above the real gradients elsewhere (~1e-31), so those rows
        // are compared with zero and the others with the reference.
        const auto ours = logits.grad().to(torch::kFloat64);
        const auto others = soleTiny.logical_not().unsqueeze(1).expand_as(ours);
        QVERIFY(ours.index_select(0, tinyRows).abs().max().item<double>() == 0.0);
        QVERIFY(relativeError(ours.masked_select(others), reference.grad().masked_select(others)) <= 1e-5);
    }

    void balanceLossHandComputed()
    {
        // Router probabilities chosen by hand (logits = log p): top-1 picks
        // experts 0, 0, 1, 0, so f = (3/4, 1/4); P = (0.65, 0.35).
        // L = 2 * (0.75 * 0.65 + 0.25 * 0.35) = 1.15.
        const auto probs = torch::tensor({0.8, 0.2, 0.6, 0.4, 0.3, 0.7, 0.9, 0.1}, torch::kFloat64).reshape({4, 2});
        lwb::SiraRoutingOptions options;
        options.experts = 2;
        options.topK = 1;
        options.capacityFactor = 0.0;
        const auto all = torch::ones({4}, torch::kBool);
        const auto routing = lwb::routeTokens(probs.log(), all, 1, options, false);
        QVERIFY(std::abs(lwb::loadBalancingLoss(routing).item<double>() - 1.15) <= 1e-14);

        // Padding does not count: without the last token f = (2/3, 1/3),
        // P = (1.7/3, 1.3/3), L = 2 * (2/3 * 1.7/3 + 1/3 * 1.3/3) = 9.4/9.
        const auto masked = torch::tensor({true, true, true, false});
        const auto maskedRouting = lwb::routeTokens(probs.log(), masked, 1, options, false);
        QVERIFY(std::abs(lwb::loadBalancingLoss(maskedRouting).item<double>() - 9.4 / 9.0) <= 1e-14);

        // Perfectly uniform routing gives exactly 1.
        const auto uniform = torch::tensor({0.5, 0.5, 0.5, 0.5}, torch::kFloat64).reshape({2, 2});
        options.topK = 2;
        const auto uniformRouting = lwb::routeTokens(uniform.log(), torch::ones({2}, torch::kBool), 1, options, false);
        QVERIFY(std::abs(lwb::loadBalancingLoss(uniformRouting).item<double>() - 1.0) <= 1e-14);

        // z-loss: mean of logsumexp(logits)^2; for logits = log p it is 0.
        QVERIFY(std::abs(lwb::routerZLoss(routing).item<double>()) <= 1e-14);
    }

    void balanceLossGradientMatchesAutograd()
    {
        // The routing node's hand-written backward (gates and balance loss
        // together) against autograd through the plain formulas, with
        // padding, capacity drops and renormalised gates.
        constexpr std::int64_t kTokens = 14, kExperts = 4;
        lwb::SiraRoutingOptions options;
        options.experts = kExperts;
        options.topK = 2;
        options.capacityFactor = 0.7;
        const auto logits = torch::randn({kTokens, kExperts}, torch::kFloat64).mul_(2.0).requires_grad_(true);
        auto real = torch::ones({kTokens}, torch::kBool);
        real[3] = false;
        real[10] = false;
        const auto gateWeights = torch::randn({kTokens, kExperts}, torch::kFloat64);
        const auto routing = lwb::routeTokens(logits, real, 1, options, true);
        const auto loss = (routing.expertGates * gateWeights).sum() + 0.3 * lwb::loadBalancingLoss(routing);
        loss.backward();

        const auto reference = logits.detach().clone().requires_grad_(true);
        const auto probs = torch::softmax(reference, -1);
        const auto realWeights = real.to(torch::kFloat64);
        const auto chosen = routing.experts;
        const auto kept = routing.admitted.to(torch::kFloat64);
        auto chosenProbs = probs.gather(1, chosen);
        chosenProbs = chosenProbs / chosenProbs.sum(-1, true);
        const auto expertGates = torch::zeros_like(probs).scatter_add(1, chosen, chosenProbs * kept);
        const auto tokens = realWeights.sum();
        const auto share = (torch::one_hot(chosen, kExperts).to(torch::kFloat64) * realWeights.view({-1, 1, 1}))
                               .sum(c10::IntArrayRef{0, 1})
                           / (tokens * 2.0);
        const auto meanProb = (probs * realWeights.unsqueeze(1)).sum(0) / tokens;
        const auto balance = double(kExperts) * (share * meanProb).sum();
        ((expertGates * gateWeights).sum() + 0.3 * balance).backward();

        QVERIFY(routing.admitted.logical_not().logical_and(real.unsqueeze(1)).any().item<bool>()); // drops happen
        QVERIFY(std::abs(lwb::loadBalancingLoss(routing).item<double>() - balance.item<double>()) <= 1e-14);
        QVERIFY(relativeError(routing.expertGates.detach(), expertGates.detach()) <= 1e-14);
        QVERIFY2(relativeError(logits.grad(), reference.grad()) <= 1e-10, "router logits gradient");
    }

    void expertDropoutReadingsMatchFormulas_data()
    {
        QTest::addColumn<int>("scaling");
        QTest::addColumn<bool>("beforeCapacity");
        using S = lwb::SiraDropoutScaling;
        QTest::newRow("inverted, after capacity (default)") << int(S::Inverted) << false;
        QTest::newRow("inverted, before capacity") << int(S::Inverted) << true;
        QTest::newRow("renormalised, after capacity") << int(S::Renormalize) << false;
        QTest::newRow("renormalised, before capacity") << int(S::Renormalize) << true;
        QTest::newRow("unscaled, after capacity") << int(S::None) << false;
        QTest::newRow("unscaled, before capacity") << int(S::None) << true;
    }

    void expertDropoutReadingsMatchFormulas()
    {
        // The keep mask m is the one random input; everything else is
        // recomputed here from the formulas of engine/adapters/README.md
        // (SiRA steps 2-4) in float64 with plain autograd:
        //   g_j = q_j / sum q (chosen probabilities renormalised)
        //   inverted:     gate_j = g_j m_j / (1 - p)   (a dropout layer on G(x))
        //   renormalised: gate_j = g_j m_j * sum_i g_i / sum_i g_i m_i
        //   unscaled:     gate_j = g_j m_j
        // times admitted_j, where the capacity queue (first choices of all
        // tokens, then second choices, in token order) holds every real
        // assignment after capacity, and only the kept ones before it.
        QFETCH(int, scaling);
        QFETCH(bool, beforeCapacity);
        const auto rule = static_cast<lwb::SiraDropoutScaling>(scaling);
        constexpr std::int64_t kTokens = 30, kExperts = 4, kTopK = 2;
        constexpr double kP = 0.35, kFactor = 0.8;
        lwb::SiraRoutingOptions options;
        options.experts = kExperts;
        options.topK = kTopK;
        options.capacityFactor = kFactor;
        options.expertDropout = kP;
        options.dropoutScaling = rule;
        options.dropoutBeforeCapacity = beforeCapacity;
        const auto logits = torch::randn({kTokens, kExperts}, torch::kFloat64).mul_(1.5).requires_grad_(true);
        auto real = torch::ones({kTokens}, torch::kBool);
        real[4] = false;
        const auto weights = torch::randn({kTokens, kExperts}, torch::kFloat64);
        torch::manual_seed(77);
        const auto routing = lwb::routeTokens(logits, real, 1, options, /*training=*/true);
        (routing.expertGates * weights).sum().backward();
        const auto keep = routing.dropoutKept.contiguous();

        const auto reference = logits.detach().clone().requires_grad_(true);
        const auto probs = torch::softmax(reference, -1);
        std::vector<std::vector<std::int64_t>> choices(kTokens);
        std::int64_t realCount = 0;
        for (std::int64_t t = 0; t < kTokens; ++t) {
            std::vector<std::int64_t> order(kExperts);
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) {
                return probs[t][i].item<double>() > probs[t][j].item<double>();
            });
            order.resize(kTopK);
            choices[static_cast<std::size_t>(t)] = order;
            realCount += real[t].item<bool>() ? 1 : 0;
        }
        const double capacity = std::ceil(kFactor * kTopK * double(realCount) / kExperts - 1e-9);
        std::vector<std::vector<bool>> admitted(kTokens, std::vector<bool>(kTopK, false));
        std::vector<std::int64_t> used(kExperts, 0);
        for (std::int64_t j = 0; j < kTopK; ++j) {
            for (std::int64_t t = 0; t < kTokens; ++t) {
                const bool kept = keep[t][j].item<bool>();
                if (!real[t].item<bool>() || (beforeCapacity && !kept))
                    continue;
                const auto e = choices[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)];
                admitted[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)]
                    = double(++used[static_cast<std::size_t>(e)]) <= capacity;
            }
        }
        std::vector<torch::Tensor> rows;
        std::int64_t queuedDrops = 0;
        for (std::int64_t t = 0; t < kTokens; ++t) {
            const auto &order = choices[static_cast<std::size_t>(t)];
            auto mass = torch::zeros({}, torch::kFloat64);
            for (auto e : order)
                mass = mass + probs[t][e];
            std::vector<torch::Tensor> g;
            auto total = torch::zeros({}, torch::kFloat64), survived = torch::zeros({}, torch::kFloat64);
            for (std::int64_t j = 0; j < kTopK; ++j) {
                g.push_back(probs[t][order[static_cast<std::size_t>(j)]] / mass);
                total = total + g.back();
                survived = survived + g.back() * double(keep[t][j].item<bool>());
            }
            auto row = torch::zeros({kExperts}, torch::kFloat64);
            for (std::int64_t j = 0; j < kTopK; ++j) {
                const double m = keep[t][j].item<bool>() ? 1.0 : 0.0;
                torch::Tensor gate = g[static_cast<std::size_t>(j)] * m;
                if (rule == lwb::SiraDropoutScaling::Inverted)
                    gate = gate / (1.0 - kP);
                else if (rule == lwb::SiraDropoutScaling::Renormalize)
                    gate = survived.item<double>() > 0 ? gate * total / survived : gate * 0.0;
                if (!admitted[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)])
                    gate = gate * 0.0;
                else if (m == 0.0)
                    ++queuedDrops; // a dropped gate holding a place
                row = row
                      + gate
                            * torch::one_hot(torch::tensor(order[static_cast<std::size_t>(j)]), kExperts)
                                  .to(torch::kFloat64);
            }
            rows.push_back(row);
        }
        const auto expected = torch::stack(rows);
        (expected * weights).sum().backward();

        QVERIFY2(keep.logical_not().any().item<bool>() && keep.any().item<bool>(), "some gates dropped, some kept");
        QVERIFY2(relativeError(routing.expertGates.detach(), expected.detach()) <= 1e-14, "gates");
        QVERIFY2(relativeError(logits.grad(), reference.grad()) <= 1e-12, "router logits gradient");
        for (std::int64_t t = 0; t < kTokens; ++t) {
            for (std::int64_t j = 0; j < kTopK; ++j)
                QCOMPARE(routing.admitted[t][j].item<bool>(),
                         static_cast<bool>(admitted[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)]));
        }
        // Before capacity no dropped assignment holds a place; after it some do here.
        if (beforeCapacity)
            QCOMPARE(queuedDrops, std::int64_t(0));
        else
            QVERIFY(queuedDrops > 0);
    }

    void firstChoiceBalanceLossHandComputed()
    {
        // GShard counting: f_e = share of tokens whose FIRST choice is e.
        // Probabilities by hand, E = 3, k = 2, 4 tokens:
        //   (0.5 0.3 0.2) first 0, second 1
        //   (0.1 0.6 0.3) first 1, second 2
        //   (0.2 0.3 0.5) first 2, second 1
        //   (0.7 0.2 0.1) first 0, second 1
        // first choices f = (2/4, 1/4, 1/4); P = (1.5/4, 1.4/4, 1.1/4);
        // L = 3 * (0.5 * 0.375 + 0.25 * 0.35 + 0.25 * 0.275) = 1.03125.
        // Counting all top-k assignments instead: f = (2, 4, 2) / 8,
        // L = 3 * (0.25 * 0.375 + 0.5 * 0.35 + 0.25 * 0.275) = 1.0125.
        const auto probs = torch::tensor({0.5, 0.3, 0.2, 0.1, 0.6, 0.3, 0.2, 0.3, 0.5, 0.7, 0.2, 0.1}, torch::kFloat64)
                               .reshape({4, 3});
        lwb::SiraRoutingOptions options;
        options.experts = 3;
        options.topK = 2;
        options.capacityFactor = 0.0;
        const auto all = torch::ones({4}, torch::kBool);
        const auto topK = lwb::routeTokens(probs.log(), all, 1, options, false);
        QVERIFY(std::abs(lwb::loadBalancingLoss(topK).item<double>() - 1.0125) <= 1e-14);
        options.balanceFirstChoice = true;
        const auto first = lwb::routeTokens(probs.log(), all, 1, options, false);
        QVERIFY(std::abs(lwb::loadBalancingLoss(first).item<double>() - 1.03125) <= 1e-14);

        // Its gradient: dL/dp_te = E f_e / T on real tokens, against autograd.
        const auto logits = torch::randn({9, 3}, torch::kFloat64).requires_grad_(true);
        const auto routing = lwb::routeTokens(logits, torch::ones({9}, torch::kBool), 1, options, true);
        lwb::loadBalancingLoss(routing).backward();
        const auto reference = logits.detach().clone().requires_grad_(true);
        const auto p = torch::softmax(reference, -1);
        const auto share = torch::one_hot(p.argmax(-1), 3).to(torch::kFloat64).mean(0);
        (3.0 * (share * p.mean(0)).sum()).backward();
        QVERIFY(relativeError(logits.grad(), reference.grad()) <= 1e-12);
    }

    void balanceReductionSumOrMean()
    {
        // The trainer adds the MEAN over layers of auxLoss(); with "sum" a
        // layer reports L times its own term so the objective holds
        // coef * sum_layers(balance) (Switch / GShard: one loss per layer).
        const Case c{4, 2, 0.0, true, false};
        const auto x = torch::randn({2, 5, kIn}, torch::kFloat64);
        double ownTerm = 0.0;
        for (const std::string reduction : {"mean", "sum"}) {
            auto layer = makeLayer(c);
            layer.sira->setBalanceLayers(3);
            auto config = layer.sira->config();
            QCOMPARE(config.balanceReduction, std::string("mean"));
            lwb::SiraConfig withReduction = config;
            withReduction.balanceReduction = reduction;
            withReduction.auxLossCoef = 0.02;
            lwb::LoraOptions lora;
            lora.rank = kRank;
            auto sira = std::make_shared<SiraAdapterImpl>(kIn, kOut, lora, withReduction);
            sira->to(torch::kFloat64);
            sira->setBalanceLayers(3);
            sira->train();
            torch::manual_seed(4);
            {
                torch::NoGradGuard noGrad;
                sira->router.normal_();
            }
            sira->delta(x);
            const double balance = lwb::loadBalancingLoss(sira->lastRouting()).item<double>();
            const double reported = sira->auxLoss().item<double>();
            lwb::AdapterStats stats;
            sira->takeStats("layer", stats);
            QVERIFY(std::abs(stats.layers.front().auxLoss - 0.02 * balance) <= 1e-15); // the layer's own term
            QVERIFY(std::abs(reported - (reduction == "sum" ? 3.0 : 1.0) * 0.02 * balance) <= 1e-15);
            if (reduction == "mean")
                ownTerm = balance;
            else
                QCOMPARE(balance, ownTerm); // same router, same tokens
        }
    }
};

QTEST_APPLESS_MAIN(TestSiraDropoutBalance)
#include "test_sira_dropout_balance.moc"
