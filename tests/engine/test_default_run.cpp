// The default run, whole: resources/configs/lora_default.json as shipped
// (600 steps of the built-in task suite) must learn, not just lower the loss.
// A minute or more on two cores, so it is its own suite with the CTest label
// `slow`: `ctest -LE slow` leaves it out, CI runs every label.
#include "engine/config/run_config.h"
#include "engine/train/trainer.h"
#include "train_observers.h"

#include <QTemporaryDir>
#include <QtTest>

using lwb::test::Collect;

class TestDefaultRun : public QObject
{
    Q_OBJECT

private slots:
    void lossFallsOnTheDefaultTask()
    {
        QTemporaryDir dir;
        const auto path = qgetenv("LWB_SOURCE_DIR") + "/resources/configs/lora_default.json";
        auto config = lwb::loadRunConfig(path.toStdString(), {"training.output_dir=" + dir.path().toStdString()});
        lwb::Trainer trainer(config);
        Collect collect;
        trainer.addObserver(&collect);
        QCOMPARE(trainer.run(), lwb::RunOutcome::Finished);
        const auto &losses = trainer.losses();
        const auto mean = [&](std::size_t from, std::size_t to) {
            double sum = 0.0;
            for (std::size_t i = from; i < to; ++i)
                sum += losses[i];
            return sum / static_cast<double>(to - from);
        };
        const double first = mean(0, 20), last = mean(losses.size() - 20, losses.size());
        qInfo("default run: mean loss of the first 20 steps %.4f, of the last 20 %.4f; eval loss %.4f -> %.4f", first,
              last, collect.evals.front().loss, collect.evals.back().loss);
        QVERIFY(last < 0.6 * first);
        QVERIFY(collect.evals.back().loss < collect.evals.front().loss);
        // The loss falls because rules are learnt: greedy answers to held-out
        // words are right. First and length are learnt whatever the seed;
        // upper and reverse depend on it: seeds 42 / 7 / 11 gave upper 0.10 /
        // 0.69 / 1.00 and reverse 0.59 / 0.55 / 0.93 (torch 2.13, 2 threads),
        // so upper is only required to be learnt at all.
        const auto &exact = collect.evals.back().exactMatchByTask;
        qInfo("exact match: first %.3f, length %.3f, upper %.3f, reverse %.3f", exact.at("first"), exact.at("length"),
              exact.at("upper"), exact.at("reverse"));
        QVERIFY(exact.at("length") > 0.9);
        QVERIFY(exact.at("first") > 0.9);
        QVERIFY(exact.at("upper") > 0.05);
        QVERIFY(exact.at("reverse") > 0.5);
    }
};

QTEST_APPLESS_MAIN(TestDefaultRun)
#include "test_default_run.moc"
