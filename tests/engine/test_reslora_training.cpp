// ResLoRA inside whole runs: every variant trains with gradient accumulation
// and evaluations in between, is bitwise reproducible, and its final
// evaluation is repeated on the model merged into plain LoRA (the gap is
// printed; for bs, whose merge is exact, it is rounding only). A resumed run
// continues exactly, merged evaluation included, because the norm windows
// the merge reads travel in the checkpoint.
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/reslora_adapter.h"
#include "engine/train/progress_printer.h"
#include "engine/train/trainer.h"
#include "train_observers.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <sstream>

namespace {

using lwb::test::Collect;
using lwb::test::StopAt;

lwb::RunConfig resloraRun(const QString &outputDir, const std::string &variant, std::int64_t steps = 8,
                          std::int64_t evalEvery = 4, std::int64_t evalExamples = 24)
{
    nlohmann::json doc = {
        {"name", "reslora-test"},
        {"seed", 4},
        {"model",
         {{"preset", "gpt2-tiny"},
          {"hidden_size", 64},
          {"num_hidden_layers", 3},
          {"num_attention_heads", 4},
          {"intermediate_size", 128}}},
        {"data", {{"eval_examples", evalExamples}}},
        {"adapter",
         {{"variant", "reslora"},
          {"r", 4},
          {"alpha", 8},
          {"dropout", 0.05},
          {"targets", {"c_attn", "c_proj", "c_fc"}},
          {"reslora", {{"variant", variant}, {"pre_num", 2}, {"window", 30}}}}},
        {"training",
         {{"steps", steps},
          {"batch_size", 4},
          {"grad_accum", 2},
          {"warmup_steps", 2},
          {"lr", 0.01},
          {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", evalEvery}, {"batch_size", 8}}},
    };
    return lwb::parseRunConfig(doc, "test");
}

} // namespace

class TestResLoraTraining : public QObject
{
    Q_OBJECT

private slots:
    void trainsAndReportsTheMergeGap_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::newRow("is") << "is";
        QTest::newRow("bs") << "bs";
        QTest::newRow("ms") << "ms";
    }

    void trainsAndReportsTheMergeGap()
    {
        QFETCH(QString, variant);
        QTemporaryDir dirA, dirB;
        lwb::Trainer first(resloraRun(dirA.path(), variant.toStdString()));
        Collect collected;
        std::ostringstream printed;
        lwb::ProgressPrinter printer(printed, false, 4);
        first.addObserver(&collected);
        first.addObserver(&printer);
        QCOMPARE(first.run(), lwb::RunOutcome::Finished);
        lwb::Trainer second(resloraRun(dirB.path(), variant.toStdString()));
        second.run();
        QCOMPARE(first.losses(), second.losses()); // bitwise

        // The intermediate evaluation is not merged; the final one is.
        QCOMPARE(collected.evals.size(), std::size_t(2));
        QVERIFY(!collected.evals.front().hasMergedEval);
        const auto &last = collected.evals.back();
        QVERIFY(last.hasMergedEval);
        QVERIFY(std::isfinite(last.mergedLoss) && last.mergedLoss > 0.0);
        QCOMPARE(last.mergedExactMatchByTask.size(), last.exactMatchByTask.size());
        QVERIFY(std::abs(last.mergedPerplexity - std::exp(last.mergedLoss)) <= 1e-9 * last.mergedPerplexity);
        const double gap = last.mergedLoss - last.loss;
        qInfo("ResLoRA %s: eval loss %.6f unmerged, %.6f merged (gap %+.6f)", qPrintable(variant), last.loss,
              last.mergedLoss, gap);
        if (variant == QLatin1String("bs"))
            QVERIFY2(std::abs(gap) <= 1e-5 * last.loss, "bs merges exactly (float32 rounding only)");
        QVERIFY(printed.str().find("merged into plain LoRA: loss") != std::string::npos);

        // After the merged evaluation the ResLoRA adapters are back in place.
        for (const auto &entry : lwb::adaptedLayers(*first.model()))
            QVERIFY(std::dynamic_pointer_cast<lwb::ResLoraAdapterImpl>(entry.layer->adapter()));
    }

    void resumeEqualsUninterruptedMergeIncluded()
    {
        // Kept small (6 steps, final evaluations only) so that it stays far
        // from Qt's per-function timeout on a loaded machine.
        const auto run = [](const QString &dir) { return resloraRun(dir, "ms", 6, 0, 8); };
        QTemporaryDir whole, parts;
        lwb::Trainer uninterrupted(run(whole.path()));
        Collect wholeEvals;
        uninterrupted.addObserver(&wholeEvals);
        uninterrupted.run();

        lwb::Trainer firstHalf(run(parts.path()));
        StopAt stop(firstHalf, 3);
        firstHalf.addObserver(&stop);
        QCOMPARE(firstHalf.run(), lwb::RunOutcome::Cancelled);
        auto config = run(parts.path());
        config.training.resumeFrom = parts.path().toStdString();
        lwb::Trainer secondHalf(config);
        Collect resumedEvals;
        secondHalf.addObserver(&resumedEvals);
        QCOMPARE(secondHalf.run(), lwb::RunOutcome::Finished);
        const std::vector<double> expected(uninterrupted.losses().begin() + 3, uninterrupted.losses().end());
        QCOMPARE(secondHalf.losses(), expected);
        // The windows hold 30 micro-batches: the 6 before the stop come from
        // the checkpoint, so an exact merged loss needs them restored exactly.
        QVERIFY(resumedEvals.evals.back().hasMergedEval);
        QCOMPARE(resumedEvals.evals.back().mergedLoss, wholeEvals.evals.back().mergedLoss);
    }
};

QTEST_APPLESS_MAIN(TestResLoraTraining)
#include "test_reslora_training.moc"
