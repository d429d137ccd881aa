// Evaluation that scales (engine/eval/evaluator.h, the trainer's eval.*):
// - the progress callback sees every batch of both phases, in order, with
//   the totals it will reach and an estimate of the time left once a batch
//   is done (figures only, no time asserted);
// - eval.final "off" skips the final evaluation, "limited" reads the first
//   eval.max_examples examples and "full" all of them (the examples the
//   loss scored say how many were read);
// - firstExamples cuts the last batch to fit and recounts its tokens;
// - the new keys are validated and round-trip through toJson.
// The figures come from the trainer itself: what is checked is which
// examples an evaluation reads, not their loss.
#include "engine/config/run_config.h"
#include "engine/eval/evaluator.h"
#include "engine/train/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

namespace {

lwb::RunConfig smallRun(const QTemporaryDir &dir, const nlohmann::json &eval)
{
    nlohmann::json document = {
        {"name", "eval-streaming"},
        {"threads", 1},
        {"data", {{"eval_examples", 40}}},
        {"training", {{"steps", 1}, {"warmup_steps", 0}, {"batch_size", 4}, {"output_dir", dir.path().toStdString()}}},
        {"eval", eval},
    };
    return lwb::parseRunConfig(document, "test_eval_streaming");
}

struct Collect : lwb::TrainObserver
{
    std::vector<lwb::EvalMetrics> evals;
    std::vector<lwb::EvalProgress> progress;
    void onEval(const lwb::EvalMetrics &metrics) override { evals.push_back(metrics); }
    void onEvalProgress(const lwb::EvalProgress &p) override { progress.push_back(p); }
};

} // namespace

class EvalStreamingTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void finalEvaluationFullLimitedOff()
    {
        std::map<std::string, std::int64_t> tokens;
        for (const char *final : {"full", "limited", "off"}) {
            QTemporaryDir dir;
            lwb::Trainer trainer(
                smallRun(dir, {{"every", 0}, {"batch_size", 16}, {"max_examples", 8}, {"final", final}}));
            Collect collect;
            trainer.addObserver(&collect);
            QCOMPARE(trainer.run(), lwb::RunOutcome::Finished);
            if (std::string(final) == "off") {
                QVERIFY(collect.evals.empty());
                QVERIFY(collect.progress.empty());
                continue;
            }
            QCOMPARE(collect.evals.size(), std::size_t(1));
            QVERIFY(!collect.evals.back().exactMatchByTask.empty());
            tokens[final] = collect.evals.back().tokens;
            // Progress: loss then exact match, each from 0 to its total, in order.
            const std::int64_t examples = std::string(final) == "full" ? 40 : 8;
            std::vector<std::string> phases;
            for (std::size_t i = 0; i < collect.progress.size(); ++i) {
                const auto &p = collect.progress[i];
                QCOMPARE(p.total, examples);
                if (phases.empty() || phases.back() != p.phase) {
                    phases.push_back(p.phase);
                    QCOMPARE(p.done, std::int64_t(0));
                    QVERIFY(p.remainingSeconds < 0.0);
                } else {
                    QVERIFY(p.done > collect.progress[i - 1].done);
                    QVERIFY(p.remainingSeconds >= 0.0);
                }
                QVERIFY(!lwb::formatEvalProgress(p).empty());
            }
            QCOMPARE(phases, (std::vector<std::string>{"loss", "exact match"}));
            QCOMPARE(collect.progress.back().done, examples);
            // full: 0, 16, 32, 40 per phase; limited: 0, 8.
            QCOMPARE(collect.progress.size(), std::size_t(std::string(final) == "full" ? 8 : 4));
        }
        QVERIFY(tokens["limited"] > 0);
        QVERIFY(tokens["limited"] < tokens["full"]);
    }

    void firstExamplesCutsTheLastBatch()
    {
        lwb::Batch batch;
        batch.inputIds = torch::arange(12, torch::kInt64).reshape({3, 4});
        batch.labels = torch::tensor({-100, 1, 2, -100, -100, -100, 3, 4, 5, 6, 7, 8}, torch::kInt64).reshape({3, 4});
        batch.tokenMask = torch::ones({3, 4}, torch::kBool);
        batch.tasks = {"a", "b", "c"};
        const std::vector<lwb::Batch> batches{batch, batch};
        QCOMPARE(lwb::firstExamples(batches, 0).size(), std::size_t(2));
        const auto cut = lwb::firstExamples(batches, 5);
        QCOMPARE(cut.size(), std::size_t(2));
        QCOMPARE(cut[1].inputIds.size(0), std::int64_t(2));
        QCOMPARE(cut[1].scoredTokens, std::int64_t(4)); // 1, 2 and 3, 4
        QCOMPARE(cut[1].tasks, (std::vector<std::string>{"a", "b"}));
        QCOMPARE(lwb::firstExamples(batches, 3).size(), std::size_t(1));
    }

    void keysAreValidatedAndRoundTrip()
    {
        QTemporaryDir dir;
        const auto config
            = smallRun(dir, {{"max_examples", 64}, {"final", "limited"}, {"sira_decode_capacity", "per_pass"}});
        const auto back = lwb::parseRunConfig(config.toJson(), "round trip");
        QCOMPARE(back.eval.maxExamples, std::int64_t(64));
        QCOMPARE(back.eval.final, std::string("limited"));
        QCOMPARE(back.eval.siraDecodeCapacity, std::string("per_pass"));
        for (const auto &bad : {nlohmann::json{{"final", "some"}}, nlohmann::json{{"sira_decode_capacity", "cached"}},
                                nlohmann::json{{"max_examples", -1}}}) {
            try {
                smallRun(dir, bad);
                QFAIL("accepted a bad eval key");
            } catch (const std::exception &error) {
                QVERIFY2(std::string(error.what()).find("eval.") != std::string::npos, error.what());
            }
        }
    }
};

QTEST_APPLESS_MAIN(EvalStreamingTest)
#include "test_eval_streaming.moc"
