// SiRA inside whole runs: training is bitwise reproducible and resumes
// exactly (expert dropout and jitter draw from the per-step reseeded
// generator), every step reports routing figures for every adapted layer and
// a balance loss, accumulation adds the loss as a mean over layers, and the
// evaluation's task x expert matrix equals an independent tally of the
// routing decisions.
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/data/batch_builder.h"
#include "engine/eval/evaluator.h"
#include "engine/train/trainer.h"
#include "train_observers.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

namespace {

using lwb::test::Collect;
using lwb::test::StopAt;

lwb::RunConfig siraConfig(const QString &outputDir, std::int64_t steps = 8)
{
    nlohmann::json doc = {
        {"name", "sira-test"},
        {"seed", 3},
        {"model",
         {{"preset", "gpt2-tiny"},
          {"hidden_size", 64},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"intermediate_size", 128}}},
        {"data", {{"eval_examples", 24}}},
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
            {"z_loss_coef", 0.001}}}}},
        {"training",
         {{"steps", steps},
          {"batch_size", 4},
          {"grad_accum", 2},
          {"warmup_steps", 2},
          {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 0}, {"batch_size", 8}}},
    };
    return lwb::parseRunConfig(doc, "test");
}

} // namespace

class TestSiraTraining : public QObject
{
    Q_OBJECT

private slots:
    void reproducibleWithRoutingFigures()
    {
        QTemporaryDir dirA, dirB;
        lwb::Trainer first(siraConfig(dirA.path()));
        Collect collected;
        first.addObserver(&collected);
        QCOMPARE(first.run(), lwb::RunOutcome::Finished);
        lwb::Trainer second(siraConfig(dirB.path()));
        second.run();
        QCOMPARE(first.losses(), second.losses()); // bitwise

        QCOMPARE(collected.steps.size(), std::size_t(8));
        for (const auto &step : collected.steps) {
            QCOMPARE(step.adapter.layers.size(), std::size_t(4)); // 2 blocks x (c_attn, c_fc)
            QVERIFY(step.adapter.auxLoss > 0.0);
            double auxMean = 0.0;
            for (const auto &layer : step.adapter.layers) {
                QCOMPARE(layer.expertLoad.size(), std::size_t(4));
                QCOMPARE(layer.routedTokens % 2, std::int64_t(0)); // k = 2 assignments per real token
                QVERIFY(layer.droppedTokens >= 0 && layer.droppedTokens <= layer.routedTokens);
                QVERIFY(layer.routingEntropy > 0.0 && layer.routingEntropy <= std::log(4.0) + 1e-9);
                auxMean += layer.auxLoss / 4.0;
            }
            // The objective's aux term is the mean over layers (each layer's
            // figure is already its mean over the two micro-batches).
            QVERIFY(std::abs(step.adapter.auxLoss - auxMean) <= 1e-6 * auxMean);
        }
        // The final evaluation carries the task x expert matrix.
        QVERIFY(!collected.evals.empty());
        const auto &shares = collected.evals.back().expertShareByTask;
        QCOMPARE(shares.size(), std::size_t(4)); // the four default tasks
        for (const auto &[task, row] : shares) {
            double sum = 0.0;
            for (double share : row)
                sum += share;
            QVERIFY2(std::abs(sum - 1.0) < 1e-12, task.c_str());
        }
    }

    void resumeEqualsUninterrupted()
    {
        QTemporaryDir whole, parts;
        lwb::Trainer uninterrupted(siraConfig(whole.path()));
        uninterrupted.run();

        lwb::Trainer firstHalf(siraConfig(parts.path()));
        StopAt stop(firstHalf, 4);
        firstHalf.addObserver(&stop);
        QCOMPARE(firstHalf.run(), lwb::RunOutcome::Cancelled);
        auto config = siraConfig(parts.path());
        config.training.resumeFrom = parts.path().toStdString();
        lwb::Trainer secondHalf(config);
        QCOMPARE(secondHalf.run(), lwb::RunOutcome::Finished);
        const std::vector<double> expected(uninterrupted.losses().begin() + 4, uninterrupted.losses().end());
        QCOMPARE(secondHalf.losses(), expected);
    }

    void taskMatrixEqualsIndependentTally()
    {
        QTemporaryDir dir;
        const auto config = siraConfig(dir.path());
        torch::manual_seed(9);
        lwb::CausalLM model(config.model);
        const auto layers = lwb::attachAdapters(*model, config.adapter);
        lwb::TaskData data(lwb::SequenceFormat::byteLevel(), config.data.tasks, config.seed, config.data.seqLen,
                           config.data.evalExamples);
        const auto batches = data.evalBatches(8);
        const auto metrics = lwb::evaluateLoss(*model, batches, torch::kCPU);

        // Tally: forward each batch again, read every layer's routing.
        std::map<std::string, std::vector<double>> counts;
        torch::NoGradGuard noGrad;
        model->eval();
        for (const auto &batch : batches) {
            model->forward(batch.inputIds, batch.tokenMask);
            const auto length = batch.inputIds.size(1);
            for (const auto &entry : layers) {
                const auto &routing
                    = std::dynamic_pointer_cast<lwb::SiraAdapterImpl>(entry.layer->adapter())->lastRouting();
                for (std::int64_t token = 0; token < routing.experts.size(0); ++token) {
                    if (!routing.realTokens[token].item<bool>())
                        continue;
                    auto &row = counts[batch.tasks[static_cast<std::size_t>(token / length)]];
                    row.resize(4, 0.0);
                    for (std::int64_t j = 0; j < 2; ++j)
                        row[static_cast<std::size_t>(routing.experts[token][j].item<std::int64_t>())] += 1.0;
                }
            }
        }
        QCOMPARE(metrics.expertShareByTask.size(), counts.size());
        for (const auto &[task, row] : counts) {
            double total = 0.0;
            for (double c : row)
                total += c;
            const auto &shares = metrics.expertShareByTask.at(task);
            for (std::size_t e = 0; e < row.size(); ++e)
                QVERIFY(std::abs(shares[e] - row[e] / total) < 1e-12);
        }
    }
};

QTEST_APPLESS_MAIN(TestSiraTraining)
#include "test_sira_training.moc"
