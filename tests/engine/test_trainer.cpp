// Trainer: bitwise determinism, resume == uninterrupted, stop leaves a
// checkpoint, and bad checkpoints are refused with the file named; a step
// whose loss is not finite stops the run before its update. Small runs only
// (12 steps): the full default run is test_default_run, labelled slow.
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/train/trainer.h"
#include "train_observers.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace {

using lwb::test::Collect;
using lwb::test::StopAt;

// A small, fast run: two layers of width 64, 12 steps of 4 sequences, with
// dropout and accumulation so the paths that need care are exercised.
lwb::RunConfig smallConfig(const QString &outputDir)
{
    nlohmann::json doc = {
        {"name", "trainer-test"},
        {"seed", 5},
        {"model",
         {{"preset", "gpt2-tiny"},
          {"hidden_size", 64},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"intermediate_size", 128}}},
        {"data", {{"eval_examples", 16}}},
        {"adapter", {{"r", 4}, {"alpha", 8}, {"dropout", 0.1}}},
        {"training",
         {{"steps", 12},
          {"batch_size", 4},
          {"grad_accum", 2},
          {"warmup_steps", 3},
          {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 6}, {"batch_size", 8}}},
    };
    return lwb::parseRunConfig(doc, "test");
}

} // namespace

class TestTrainer : public QObject
{
    Q_OBJECT

private slots:
    void sameConfigSameLossesBitwise()
    {
        QTemporaryDir a, b;
        lwb::Trainer first(smallConfig(a.path()));
        lwb::Trainer second(smallConfig(b.path()));
        QCOMPARE(first.run(), lwb::RunOutcome::Finished);
        QCOMPARE(second.run(), lwb::RunOutcome::Finished);
        QCOMPARE(first.losses().size(), std::size_t(12));
        QCOMPARE(first.losses(), second.losses()); // exact equality of doubles

        auto other = smallConfig(b.path());
        other.seed = 6;
        lwb::Trainer third(other);
        third.run();
        QVERIFY(third.losses() != first.losses());
    }

    void observersSeeTheWholeRun()
    {
        QTemporaryDir dir;
        lwb::Trainer trainer(smallConfig(dir.path()));
        Collect collect;
        trainer.addObserver(&collect);
        QCOMPARE(trainer.run(), lwb::RunOutcome::Finished);
        QCOMPARE(collect.finished, 1);
        QCOMPARE(collect.steps.size(), std::size_t(12));
        QCOMPARE(collect.steps.back().step, std::int64_t(12));
        QVERIFY(collect.started.trainableParameters > 0);
        QVERIFY(collect.started.trainableParameters < collect.started.totalParameters / 2);
        QVERIFY(collect.started.configJson.find("\"output_dir\"") != std::string::npos);
        QCOMPARE(collect.evals.size(), std::size_t(2)); // step 6 and the final one
        QCOMPARE(collect.evals.back().exactMatchByTask.size(), std::size_t(4));
        for (std::size_t i = 1; i < collect.steps.size(); ++i)
            QVERIFY(collect.steps[i].tokens > collect.steps[i - 1].tokens);
        QVERIFY(collect.steps.front().learningRate < collect.steps[3].learningRate); // warmup
        QVERIFY(collect.steps.back().gradNorm > 0.0);
        QVERIFY(collect.steps.back().peakMemoryBytes > 0);
        QCOMPARE(collect.checkpoints.size(), std::size_t(1));
        QVERIFY(std::filesystem::exists(collect.checkpoints.front()));
    }

    void resumeContinuesExactly()
    {
        QTemporaryDir whole, parts;
        lwb::Trainer uninterrupted(smallConfig(whole.path()));
        uninterrupted.run();

        lwb::Trainer firstHalf(smallConfig(parts.path()));
        StopAt stop(firstHalf, 5);
        firstHalf.addObserver(&stop);
        QCOMPARE(firstHalf.run(), lwb::RunOutcome::Cancelled);
        QCOMPARE(firstHalf.losses().size(), std::size_t(5));
        QVERIFY(std::filesystem::exists(parts.filePath("checkpoints/step-000005.pt").toStdString()));

        auto config = smallConfig(parts.path());
        config.training.resumeFrom = parts.path().toStdString();
        lwb::Trainer secondHalf(config);
        Collect collect;
        secondHalf.addObserver(&collect);
        QCOMPARE(secondHalf.run(), lwb::RunOutcome::Finished);
        QCOMPARE(collect.started.startStep, std::int64_t(5));
        const std::vector<double> expected(uninterrupted.losses().begin() + 5, uninterrupted.losses().end());
        QCOMPARE(secondHalf.losses(), expected);
        // The token count carries on from the checkpoint, too.
        lwb::Trainer reference(smallConfig(whole.path()));
        Collect referenceSteps;
        reference.addObserver(&referenceSteps);
        reference.run();
        QCOMPARE(collect.steps.back().tokens, referenceSteps.steps.back().tokens);
    }

    void badCheckpointsAreRefused()
    {
        QTemporaryDir dir;
        lwb::Trainer trainer(smallConfig(dir.path()));
        trainer.run();

        auto otherRank = smallConfig(dir.path());
        otherRank.training.resumeFrom = dir.path().toStdString();
        otherRank.adapter.rank = 2;
        try {
            lwb::Trainer(otherRank).run();
            QFAIL("a checkpoint of another rank was accepted");
        } catch (const lwb::Error &error) {
            QVERIFY2(std::string(error.what()).find("step-000012.pt") != std::string::npos, error.what());
            QVERIFY2(std::string(error.what()).find("shape") != std::string::npos, error.what());
        }

        const auto garbage = dir.filePath("garbage.pt").toStdString();
        std::ofstream(garbage) << "not a checkpoint";
        auto config = smallConfig(dir.path());
        config.training.resumeFrom = garbage;
        Collect collect;
        lwb::Trainer failing(config);
        failing.addObserver(&collect);
        QVERIFY_THROWS_EXCEPTION(lwb::Error, failing.run());
        QCOMPARE(collect.outcome, lwb::RunOutcome::Failed); // observers still hear the end
        QVERIFY(collect.finalMessage.find("garbage.pt") != std::string::npos);

        config.training.resumeFrom = dir.filePath("nowhere").toStdString();
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::Trainer(config).run());
    }

    void nonFiniteStepStopsBeforeItsUpdate()
    {
        // An absurd learning rate: the first update throws the adapter's
        // weights to ~1e30, and the next step's loss is no longer finite.
        QTemporaryDir dir;
        auto config = smallConfig(dir.path());
        config.training.lr = 1e30;
        lwb::Trainer trainer(config);
        Collect collect;
        trainer.addObserver(&collect);
        std::string message;
        try {
            trainer.run();
            QFAIL("a run with a non-finite loss went on");
        } catch (const lwb::Error &error) {
            message = error.what();
        }
        const auto completed = static_cast<std::int64_t>(collect.steps.size());
        QVERIFY(completed >= 1 && completed < 12);
        for (const auto &step : collect.steps)
            QVERIFY(std::isfinite(step.loss)); // no NaN step reached the observers (the run store)
        QVERIFY2(message.find("step " + std::to_string(completed + 1)) == 0, message.c_str());
        QVERIFY2(message.find("not finite") != std::string::npos, message.c_str());
        QCOMPARE(collect.outcome, lwb::RunOutcome::Failed);
        // The parameters it stopped with, saved as a checkpoint, are the finite
        // ones of the last completed step: the bad update never ran.
        QCOMPARE(collect.checkpoints.size(), std::size_t(1));
        QVERIFY2(message.find(collect.checkpoints.back()) != std::string::npos, message.c_str());
        for (const auto &parameter : trainer.model()->parameters())
            QVERIFY(torch::isfinite(parameter).all().item<bool>());
    }

    void runsOfOneNameGetTheirOwnFolders()
    {
        // Two runs of one name started within the same second (two devices,
        // two terminals) must not share a checkpoint folder.
        QTemporaryDir dir;
        const QByteArray previous = qgetenv("XDG_DATA_HOME");
        qputenv("XDG_DATA_HOME", dir.path().toUtf8());
        const auto first = lwb::newRunFolder("same");
        const auto second = lwb::newRunFolder("same");
        const auto third = lwb::newRunFolder("same");
        qputenv("XDG_DATA_HOME", previous);
        QVERIFY(first != second && second != third && first != third);
        for (const auto &folder : {first, second, third}) {
            QVERIFY(std::filesystem::is_directory(folder));
            QVERIFY(folder.find(dir.path().toStdString() + "/lora-workbench/runs/same-") == 0);
        }
    }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "test_trainer.moc"
