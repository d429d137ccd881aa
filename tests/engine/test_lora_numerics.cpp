// LoRA against a plain reference written out as loops over float64 arrays:
// forward output and the gradients of A and B (rel err <= 1e-10), merge ==
// unmerged forward, initialisation as PEFT, and what trains.
#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/adapter_dropout.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/model/causal_lm.h"

#include <QtTest>

#include <cmath>

namespace {

constexpr std::int64_t kTokens = 7, kIn = 11, kOut = 5, kRank = 3;

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

struct Reference
{
    torch::Tensor output, gradA, gradB;
};

// h[t,o] = sum_i W[o,i] x[t,i] + b[o] + s sum_r B[o,r] sum_i A[r,i] x[t,i]
// For L = sum h * G:  dB[o,r] = s sum_t G[t,o] u[t,r],  dA[r,i] = s sum_t (sum_o B[o,r] G[t,o]) x[t,i],
// with u[t,r] = sum_i A[r,i] x[t,i].
Reference loraReference(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b, const torch::Tensor &a,
                        const torch::Tensor &bMat, const torch::Tensor &g, double s)
{
    auto X = x.accessor<double, 2>();
    auto W = w.accessor<double, 2>();
    auto Bias = b.accessor<double, 1>();
    auto A = a.accessor<double, 2>();
    auto B = bMat.accessor<double, 2>();
    auto G = g.accessor<double, 2>();
    Reference ref{torch::zeros({kTokens, kOut}, torch::kFloat64), torch::zeros({kRank, kIn}, torch::kFloat64),
                  torch::zeros({kOut, kRank}, torch::kFloat64)};
    auto H = ref.output.accessor<double, 2>();
    auto dA = ref.gradA.accessor<double, 2>();
    auto dB = ref.gradB.accessor<double, 2>();
    for (std::int64_t t = 0; t < kTokens; ++t) {
        double u[kRank] = {};
        for (std::int64_t r = 0; r < kRank; ++r)
            for (std::int64_t i = 0; i < kIn; ++i)
                u[r] += A[r][i] * X[t][i];
        for (std::int64_t o = 0; o < kOut; ++o) {
            double h = Bias[o];
            for (std::int64_t i = 0; i < kIn; ++i)
                h += W[o][i] * X[t][i];
            for (std::int64_t r = 0; r < kRank; ++r)
                h += s * B[o][r] * u[r];
            H[t][o] = h;
            for (std::int64_t r = 0; r < kRank; ++r)
                dB[o][r] += s * G[t][o] * u[r];
        }
        for (std::int64_t r = 0; r < kRank; ++r) {
            double back = 0.0;
            for (std::int64_t o = 0; o < kOut; ++o)
                back += B[o][r] * G[t][o];
            for (std::int64_t i = 0; i < kIn; ++i)
                dA[r][i] += s * back * X[t][i];
        }
    }
    return ref;
}

// A float64 AdaptedLinear with random base weights and a LoRA whose B is
// random too (at init B = 0, which would leave A's gradient untested).
std::pair<lwb::AdaptedLinear, std::shared_ptr<lwb::LoraAdapterImpl>> makeLayer(const lwb::LoraOptions &options)
{
    lwb::AdaptedLinear layer(kIn, kOut, true);
    auto lora = std::make_shared<lwb::LoraAdapterImpl>(kIn, kOut, options);
    layer->attach(lora);
    layer->to(torch::kFloat64);
    torch::NoGradGuard noGrad;
    layer->weight.normal_();
    layer->bias.normal_();
    lora->loraB.normal_();
    layer->weight.set_requires_grad(false);
    layer->bias.set_requires_grad(false);
    return {layer, lora};
}

} // namespace

class TestLoraNumerics : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(7); }

    void forwardAndGradientsMatchReference_data()
    {
        QTest::addColumn<bool>("rslora");
        QTest::newRow("alpha/r") << false;
        QTest::newRow("rsLoRA alpha/sqrt(r)") << true;
    }

    void forwardAndGradientsMatchReference()
    {
        QFETCH(bool, rslora);
        lwb::LoraOptions options;
        options.rank = kRank;
        options.alpha = 5.0;
        options.rslora = rslora;
        auto [layer, lora] = makeLayer(options);
        const double s = rslora ? 5.0 / std::sqrt(3.0) : 5.0 / 3.0;
        QCOMPARE(lora->scale(), s);

        const auto x = torch::randn({kTokens, kIn}, torch::kFloat64);
        const auto g = torch::randn({kTokens, kOut}, torch::kFloat64);
        const auto out = layer->forward(x);
        (out * g).sum().backward();

        const auto ref = loraReference(x, layer->weight, layer->bias, lora->loraA.detach(), lora->loraB.detach(), g, s);
        QVERIFY2(relativeError(out.detach(), ref.output) <= 1e-10, "forward");
        QVERIFY2(relativeError(lora->loraA.grad(), ref.gradA) <= 1e-10, "grad A");
        QVERIFY2(relativeError(lora->loraB.grad(), ref.gradB) <= 1e-10, "grad B");
        QVERIFY(!layer->weight.grad().defined()); // the base stays frozen
    }

    void batchedInputsMatchFlattened()
    {
        auto [layer, lora] = makeLayer({});
        const auto x = torch::randn({2, kTokens, kIn}, torch::kFloat64);
        const auto batched = layer->forward(x);
        const auto flat = layer->forward(x.reshape({-1, kIn})).reshape({2, kTokens, kOut});
        QVERIFY(relativeError(batched, flat) <= 1e-12);
    }

    void mergedEqualsUnmerged()
    {
        lwb::LoraOptions options;
        options.rank = kRank;
        options.dropout = 0.3; // inactive in eval mode, where merging applies
        auto [layer, lora] = makeLayer(options);
        layer->eval();
        const auto x = torch::randn({kTokens, kIn}, torch::kFloat64);
        const auto weightBefore = layer->weight.clone();
        const auto unmerged = layer->forward(x).detach();

        layer->merge();
        QVERIFY(layer->merged());
        const auto merged = layer->forward(x).detach();
        QVERIFY2(relativeError(merged, unmerged) <= 1e-12, "merged forward differs");
        QVERIFY(relativeError(layer->weight, weightBefore) > 1e-6); // the weight really changed

        layer->unmerge();
        QVERIFY(!layer->merged());
        QVERIFY(relativeError(layer->weight, weightBefore) <= 1e-14);
        QVERIFY(relativeError(layer->forward(x).detach(), unmerged) <= 1e-12);
    }

    void initialisedAsPeft()
    {
        lwb::LoraOptions options;
        options.rank = 16;
        lwb::LoraAdapterImpl lora(256, 64, options);
        QCOMPARE(lora.loraA.sizes(), (torch::IntArrayRef{16, 256}));
        QCOMPARE(lora.loraB.sizes(), (torch::IntArrayRef{64, 16}));
        QCOMPARE(lora.loraB.abs().max().item<double>(), 0.0);
        // kaiming_uniform_(a=sqrt(5)) on [r, in]: U(-1/sqrt(in), 1/sqrt(in)).
        const double bound = 1.0 / std::sqrt(256.0);
        QVERIFY(lora.loraA.abs().max().item<double>() <= bound);
        QVERIFY(lora.loraA.abs().max().item<double>() > 0.9 * bound);
        QVERIFY(std::abs(lora.loraA.mean().item<double>()) < 0.05 * bound);
    }

    void dropoutOnlyInTraining()
    {
        lwb::LoraOptions options;
        options.dropout = 0.5;
        auto [layer, lora] = makeLayer(options);
        const auto x = torch::randn({kTokens, kIn}, torch::kFloat64);
        layer->eval();
        const auto a = layer->forward(x).detach();
        QVERIFY(relativeError(layer->forward(x).detach(), a) == 0.0);
        layer->train();
        QVERIFY(relativeError(layer->forward(x).detach(), a) > 1e-3);
    }

    // adapter_dropout.h: inverted dropout with the mask drawn from uniforms.
    void adapterDropoutIsInvertedBernoulli()
    {
        const double p = 0.05;
        const auto x = torch::randn({1000, 1000}, torch::kFloat64).requires_grad_(true);
        torch::manual_seed(4);
        const auto y = lwb::adapterDropout(x, p, true);
        const auto kept = y != 0;
        const double keptShare = kept.to(torch::kFloat64).mean().item<double>();
        // 1e6 draws: the kept share is 0.95 within 5 standard deviations (1.1e-3).
        QVERIFY2(std::abs(keptShare - (1.0 - p)) < 1.1e-3, std::to_string(keptShare).c_str());
        // Survivors scaled by exactly 1 / (1 - p), the rest exactly 0.
        QVERIFY(torch::equal(y.masked_select(kept), x.masked_select(kept) * (1.0 / (1.0 - p))));
        y.sum().backward();
        QVERIFY(torch::equal(x.grad(), kept.to(torch::kFloat64) * (1.0 / (1.0 - p))));
        // Seeded: the same mask again; evaluation and p = 0: the input itself.
        torch::manual_seed(4);
        QVERIFY(torch::equal(lwb::adapterDropout(x, p, true), y));
        QVERIFY(lwb::adapterDropout(x, p, false).is_same(x));
        QVERIFY(lwb::adapterDropout(x, 0.0, true).is_same(x));
    }

    void onlyAdapterParametersTrain()
    {
        lwb::ModelConfig config = lwb::modelPreset("llama-tiny");
        lwb::CausalLM model(config);
        lwb::AdapterConfig adapter;
        adapter.targets = {"q_proj", "v_proj"};
        adapter.rank = 4;
        const auto attached = lwb::attachAdapters(*model, adapter);
        QCOMPARE(attached.size(), std::size_t(2 * config.numLayers));
        const auto trainable = lwb::trainableParameters(*model);
        QCOMPARE(trainable.size(), std::size_t(2 * 2 * config.numLayers));
        for (const auto &[name, tensor] : trainable)
            QVERIFY2(name.find(".adapter.lora_") != std::string::npos, name.c_str());
        QCOMPARE(QString::fromStdString(trainable.front().first),
                 QString("model.layers.0.self_attn.q_proj.adapter.lora_A"));
        QCOMPARE(attached.front().site.block, std::int64_t(0));
        QCOMPARE(attached.back().site.block, config.numLayers - 1);

        adapter.targets = {"c_attn"};
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::attachAdapters(*model, adapter));
    }
};

QTEST_APPLESS_MAIN(TestLoraNumerics)
#include "test_lora_numerics.moc"
