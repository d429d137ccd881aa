// engine/train/fused_linear_cross_entropy against the plain composition it
// replaces in the trainer: torch's linear then cross_entropy (reduction sum,
// ignore_index -100), loss and gradients, float64 and float32, with ignored
// tokens, chunks that do not divide the tokens, and a trained weight; with
// Gemma 2's final logit soft-capping, against the composition and against a
// tiny Gemma 2's own forward (CausalLMImpl::softcapLogits).
#include "engine/data/batch_builder.h"
#include "engine/model/causal_lm.h"
#include "engine/train/fused_linear_cross_entropy.h"
#include "tiny_models.h"

#include <QtTest>
#include <torch/torch.h>

namespace {

struct LossAndGrads
{
    torch::Tensor loss, hidden, weight;
};

LossAndGrads run(bool fused, const torch::Tensor &hidden0, const torch::Tensor &weight0, const torch::Tensor &labels,
                 bool trainWeight, std::int64_t chunk, double softcap = 0.0)
{
    auto hidden = hidden0.clone().requires_grad_(true);
    auto weight = weight0.clone().requires_grad_(trainWeight);
    torch::Tensor loss;
    if (fused) {
        loss = lwb::fusedLinearCrossEntropy(hidden, weight, labels, chunk, softcap);
    } else {
        auto logits = torch::matmul(hidden, weight.t());
        if (softcap > 0.0)
            logits = torch::tanh(logits / softcap) * softcap;
        loss = torch::nn::functional::cross_entropy(
            logits, labels,
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(lwb::kIgnoreLabel).reduction(torch::kSum));
    }
    // A non-unit upstream gradient, as the trainer's 1 / scored tokens.
    (loss * 0.37).backward();
    return {loss.detach(), hidden.grad(), trainWeight ? weight.grad() : torch::Tensor()};
}

double relativeError(const torch::Tensor &a, const torch::Tensor &b)
{
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item<double>();
}

} // namespace

class TestFusedCrossEntropy : public QObject
{
    Q_OBJECT

private slots:
    void matchesLinearThenCrossEntropy_data()
    {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<double>("tolerance");
        QTest::addColumn<bool>("trainWeight");
        QTest::addColumn<qlonglong>("chunk");
        QTest::addColumn<double>("softcap");
        QTest::newRow("float64, chunks of 7") << int(torch::kFloat64) << 1e-12 << false << 7LL << 0.0;
        QTest::newRow("float64, one chunk, weight trains") << int(torch::kFloat64) << 1e-12 << true << 0LL << 0.0;
        QTest::newRow("float64, chunks of 1, weight trains") << int(torch::kFloat64) << 1e-12 << true << 1LL << 0.0;
        QTest::newRow("float32, chunks of 16") << int(torch::kFloat32) << 2e-5 << true << 16LL << 0.0;
        QTest::newRow("float64, softcap 1.5, chunks of 7") << int(torch::kFloat64) << 1e-12 << true << 7LL << 1.5;
        QTest::newRow("float32, softcap 30, one chunk") << int(torch::kFloat32) << 2e-5 << true << 0LL << 30.0;
    }

    void matchesLinearThenCrossEntropy()
    {
        QFETCH(int, dtype);
        QFETCH(double, tolerance);
        QFETCH(bool, trainWeight);
        QFETCH(qlonglong, chunk);
        QFETCH(double, softcap);
        torch::manual_seed(11);
        const auto options = torch::TensorOptions().dtype(static_cast<torch::ScalarType>(dtype));
        const std::int64_t tokens = 53, width = 24, vocab = 301;
        const auto hidden = torch::randn({tokens, width}, options);
        const auto weight = torch::randn({vocab, width}, options) * 0.5;
        auto labels = torch::randint(0, vocab, {tokens}, torch::kInt64);
        labels.index_put_({torch::randint(0, 2, {tokens}, torch::kInt64).to(torch::kBool)}, lwb::kIgnoreLabel);
        labels[0] = lwb::kIgnoreLabel; // the first chunk has an ignored token whatever its size
        const auto fused = run(true, hidden, weight, labels, trainWeight, chunk, softcap);
        const auto plain = run(false, hidden, weight, labels, trainWeight, chunk, softcap);
        QVERIFY2(relativeError(fused.loss, plain.loss) < tolerance,
                 std::to_string(relativeError(fused.loss, plain.loss)).c_str());
        QVERIFY2(relativeError(fused.hidden, plain.hidden) < tolerance,
                 std::to_string(relativeError(fused.hidden, plain.hidden)).c_str());
        // Ignored tokens get no gradient at all.
        QCOMPARE(fused.hidden[0].abs().max().item<double>(), 0.0);
        if (trainWeight)
            QVERIFY2(relativeError(fused.weight, plain.weight) < tolerance,
                     std::to_string(relativeError(fused.weight, plain.weight)).c_str());
    }

    void gemma2FusedLossIsItsForwardsLoss()
    {
        // A tiny Gemma 2 (tiny_models.h, final cap 3): what the trainer
        // computes (hiddenStates x outputWeight, capped in the fused loss)
        // equals cross_entropy of the model's own capped logits, with the
        // gradients of every parameter.
        const auto config = lwb::test::tinyModelConfig("gemma2");
        torch::manual_seed(3);
        lwb::CausalLM model(config);
        model->to(torch::kFloat64);
        const auto ids = torch::randint(0, config.vocabSize, {2, 9}, torch::kInt64);
        auto labels = torch::randint(0, config.vocabSize, {18}, torch::kInt64);
        labels.narrow(0, 0, 4).fill_(lwb::kIgnoreLabel);
        const auto gradients = [&](bool fused) {
            model->zero_grad();
            torch::Tensor loss;
            if (fused) {
                const auto hidden = model->hiddenStates(ids);
                loss = lwb::fusedLinearCrossEntropy(hidden.reshape({-1, hidden.size(-1)}), model->outputWeight(),
                                                    labels, 0, model->config().finalLogitSoftcap);
            } else {
                const auto logits = model->forward(ids);
                loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), labels,
                                                            torch::nn::functional::CrossEntropyFuncOptions()
                                                                .ignore_index(lwb::kIgnoreLabel)
                                                                .reduction(torch::kSum));
            }
            loss.backward();
            std::vector<torch::Tensor> out{loss.detach()};
            for (const auto &parameter : model->parameters())
                out.push_back(parameter.grad().clone());
            return out;
        };
        const auto fused = gradients(true);
        const auto plain = gradients(false);
        for (std::size_t i = 0; i < fused.size(); ++i)
            QVERIFY2(relativeError(fused[i], plain[i]) < 1e-10, std::to_string(i).c_str());
        // The cap matters here: without it the loss differs.
        const auto hidden = model->hiddenStates(ids).detach();
        const auto uncapped = lwb::fusedLinearCrossEntropy(hidden.reshape({-1, hidden.size(-1)}),
                                                           model->outputWeight().detach(), labels);
        QVERIFY(relativeError(uncapped, plain[0]) > 1e-3);
    }

    void everyTokenIgnoredGivesZero()
    {
        const auto hidden = torch::randn({4, 3}, torch::kFloat64).requires_grad_(true);
        const auto labels = torch::full({4}, lwb::kIgnoreLabel, torch::kInt64);
        const auto loss = lwb::fusedLinearCrossEntropy(hidden, torch::randn({5, 3}, torch::kFloat64), labels);
        loss.backward();
        QCOMPARE(loss.item<double>(), 0.0);
        QCOMPARE(hidden.grad().abs().max().item<double>(), 0.0);
    }
};

QTEST_APPLESS_MAIN(TestFusedCrossEntropy)
#include "test_fused_cross_entropy.moc"
