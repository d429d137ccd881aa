// Mixed precision (training.precision, engine/train/precision.h): a bf16 run
// tracks the fp32 run of the same config; LoRA gradients through a bf16 base
// under autocast match the float64 reference within bf16's tolerance; the
// fp16 loss scaler skips a step on an injected inf and halves its scale.
// (The bf16 gradient check against float64 is open: see the note below.)
//
// References: the float64 model below (same weights, autograd in double) is
// the gradient reference; the fp32 run is the loss reference. Tolerances are
// stated with the reason next to each.
#include "engine/config/run_config.h"
#include "engine/train/loss_scaler.h"
#include "engine/train/precision.h"
#include "engine/train/trainer.h"
#include "train_observers.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

namespace {

lwb::RunConfig smallConfig(const QString &outputDir, const std::string &precision)
{
    nlohmann::json doc = {
        {"name", "precision-test"},
        {"seed", 7},
        {"model", {{"preset", "llama-tiny"}}},
        {"data", {{"eval_examples", 16}}},
        {"adapter", {{"r", 4}, {"alpha", 8}, {"dropout", 0.0}}},
        {"training",
         {{"steps", 12},
          {"batch_size", 4},
          {"warmup_steps", 2},
          {"lr", 3e-3},
          {"precision", precision},
          {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 0}, {"batch_size", 8}}},
    };
    return lwb::parseRunConfig(doc, "test");
}

} // namespace

class TestMixedPrecision : public QObject
{
    Q_OBJECT

private slots:
    void autoMeansFp32OnCpuBf16OnCuda()
    {
        QCOMPARE(lwb::resolvePrecision("auto", torch::kCPU), lwb::Precision::Fp32);
        QCOMPARE(lwb::resolvePrecision("auto", torch::Device(torch::kCUDA, 0)), lwb::Precision::Bf16);
        QCOMPARE(lwb::resolvePrecision("fp16", torch::kCPU), lwb::Precision::Fp16);
        QCOMPARE(lwb::baseDtype(lwb::Precision::Bf16), torch::kBFloat16);
    }

    void unknownPrecisionIsAConfigError()
    {
        QTemporaryDir dir;
        auto doc = smallConfig(dir.path(), "fp32").toJson();
        doc["training"]["precision"] = "fp8";
        try {
            lwb::parseRunConfig(doc, "test");
            QFAIL("fp8 accepted");
        } catch (const lwb::ConfigError &error) {
            const std::string what = error.what();
            QVERIFY2(what.find("training.precision") != std::string::npos, what.c_str());
        }
    }

    // The same config in bf16: base weights bf16, adapters and their AdamW
    // state float32, and losses within 2 % of the fp32 run at every step.
    // Why 2 %: bf16 keeps 8 significant bits (relative rounding 2^-9 = 0.2 %
    // per operation); the forward's products accumulate in float32 inside
    // oneDNN, so the loss differs by a few roundings, and 12 steps of AdamW
    // on slightly different gradients add drift. Measured (2026-12-07, torch
    // 2.13 CPU, llama-tiny): at most 1.1 % (step 1: 10.1230 vs 10.1106).
    void bf16RunTracksFp32Run()
    {
        QTemporaryDir a, b;
        lwb::Trainer fp32(smallConfig(a.path(), "fp32"));
        lwb::Trainer bf16(smallConfig(b.path(), "bf16"));
        QCOMPARE(fp32.run(), lwb::RunOutcome::Finished);
        QCOMPARE(bf16.run(), lwb::RunOutcome::Finished);
        QCOMPARE(bf16.losses().size(), fp32.losses().size());
        double worst = 0.0;
        for (std::size_t i = 0; i < fp32.losses().size(); ++i) {
            const double relative = std::abs(bf16.losses()[i] - fp32.losses()[i]) / fp32.losses()[i];
            worst = std::max(worst, relative);
        }
        qInfo(
            "bf16 vs fp32 loss: worst relative difference %.5f over %zu steps (first %.6f vs %.6f, last %.6f vs %.6f)",
            worst, fp32.losses().size(), bf16.losses().front(), fp32.losses().front(), bf16.losses().back(),
            fp32.losses().back());
        QVERIFY2(worst < 0.02, "bf16 losses drift more than 2 % from fp32");
        QVERIFY(bf16.losses().back() < bf16.losses().front()); // it trains

        for (const auto &item : bf16.model()->named_parameters()) {
            const bool trainable = item.value().requires_grad();
            QVERIFY2(item.value().scalar_type() == (trainable ? torch::kFloat32 : torch::kBFloat16),
                     item.key().c_str());
        }
    }

    // Not here yet: adapter gradients of the bf16 path against float64. A
    // first version measured a relative L2 error of ~21 % over all LoRA
    // gradients of llama-tiny (q/k projections worst, ~30 %), too far for
    // bf16 rounding alone; it needs a look at the attention backward under
    // CPU autocast before a tolerance can be stated (see the precision
    // helper's report, 2026-12-07).

    void lossScalerSkipsAnOverflowAndHalves()
    {
        lwb::LossScalerOptions options;
        options.initialScale = 1024.0;
        options.growthInterval = 3;
        lwb::DynamicLossScaler scaler(options);
        auto weight = torch::ones({4}, torch::requires_grad());
        (scaler.scaleLoss((weight * torch::tensor({1.0f, 2.0f, 3.0f, 4.0f})).sum())).backward();
        // Finite: the gradient comes back unscaled (powers of two: exact).
        QCOMPARE(scaler.unscale({weight}).item<float>(), 0.0f);
        QVERIFY(torch::equal(weight.grad(), torch::tensor({1.0f, 2.0f, 3.0f, 4.0f})));
        QVERIFY(scaler.update(false));
        QCOMPARE(scaler.scale(), 1024.0);

        weight.mutable_grad().index_put_({2}, std::numeric_limits<float>::infinity()); // the injected overflow
        QCOMPARE(scaler.unscale({weight}).item<float>(), 1.0f);
        QVERIFY(!scaler.update(true)); // skip this step
        QCOMPARE(scaler.scale(), 512.0);
        QCOMPARE(scaler.skippedSteps(), std::int64_t(1));

        // growthInterval good steps in a row double it again.
        for (int i = 0; i < 2; ++i)
            QVERIFY(scaler.update(false));
        QCOMPARE(scaler.scale(), 512.0);
        QVERIFY(scaler.update(false));
        QCOMPARE(scaler.scale(), 1024.0);
    }

    // A whole fp16 run: the scale is recorded in every step's metrics, the
    // losses stay finite and track fp32 (fp16 keeps 11 significant bits:
    // tighter than bf16, same 2 % bound).
    void fp16RunRecordsItsLossScale()
    {
        QTemporaryDir a, b;
        lwb::Trainer fp32(smallConfig(a.path(), "fp32"));
        lwb::Trainer fp16(smallConfig(b.path(), "fp16"));
        lwb::test::Collect collect;
        fp16.addObserver(&collect);
        QCOMPARE(fp32.run(), lwb::RunOutcome::Finished);
        QCOMPARE(fp16.run(), lwb::RunOutcome::Finished);
        QCOMPARE(collect.steps.size(), std::size_t(12));
        for (const auto &step : collect.steps) {
            QVERIFY(step.lossScale > 0.0);
            QVERIFY(std::isfinite(step.loss));
        }
        QCOMPARE(collect.steps.front().lossScale, 65536.0);
        for (std::size_t i = 0; i < fp32.losses().size(); ++i)
            QVERIFY(std::abs(fp16.losses()[i] - fp32.losses()[i]) / fp32.losses()[i] < 0.02);
    }
};

QTEST_GUILESS_MAIN(TestMixedPrecision)
#include "test_mixed_precision.moc"
