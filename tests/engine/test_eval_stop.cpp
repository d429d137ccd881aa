// The stop flag reaches inside evaluation: a Trainer asked to stop during its
// last step — when only the final evaluation is left — ends the run as
// cancelled inside that evaluation (evaluateLoss checks the flag between
// batches, exactMatchByTask between generated tokens, and throw
// EvaluationStopped), with a checkpoint and the model back in training mode,
// instead of decoding thousands of answers first.
#include "engine/config/run_config.h"
#include "engine/train/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace {

lwb::RunConfig smallRun(const QTemporaryDir &dir, std::int64_t steps, std::int64_t evalExamples)
{
    nlohmann::json document = {
        {"name", "stop-test"},
        {"threads", 1},
        {"data", {{"eval_examples", evalExamples}}},
        {"training",
         {{"steps", steps}, {"warmup_steps", 0}, {"batch_size", 4}, {"output_dir", dir.path().toStdString()}}},
        {"eval", {{"every", 0}}},
    };
    return lwb::parseRunConfig(document, "test_eval_stop");
}

// Asks the trainer to stop while it records a given step.
struct StopAtStep : lwb::TrainObserver
{
    lwb::Trainer *trainer = nullptr;
    std::int64_t step = 0;
    std::string outcomeMessage;
    lwb::RunOutcome outcome = lwb::RunOutcome::Failed;
    int evaluations = 0;

    void onStep(const lwb::StepMetrics &metrics) override
    {
        if (metrics.step == step)
            trainer->requestStop();
    }
    void onEval(const lwb::EvalMetrics &) override { ++evaluations; }
    void onRunFinished(lwb::RunOutcome result, const std::string &message) override
    {
        outcome = result;
        outcomeMessage = message;
    }
};

} // namespace

class EvalStopTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stopAfterTheLastStepEndsTheFinalEvaluation()
    {
        QTemporaryDir dir;
        lwb::Trainer trainer(smallRun(dir, 2, 4000)); // 4,000 greedy answers: the evaluation would take long
        StopAtStep stopper;
        stopper.trainer = &trainer;
        stopper.step = 2; // the last step: the loop is done, only the final evaluation is left
        trainer.addObserver(&stopper);
        QCOMPARE(trainer.run(), lwb::RunOutcome::Cancelled);
        QCOMPARE(stopper.outcome, lwb::RunOutcome::Cancelled);
        QVERIFY2(stopper.outcomeMessage.find("stopped at step 2 (during the evaluation)") != std::string::npos,
                 stopper.outcomeMessage.c_str());
        QCOMPARE(stopper.evaluations, 0);        // no partial figures are reported as an evaluation
        QVERIFY(trainer.model()->is_training()); // the evaluation gave the mode back
        bool checkpointWritten = false;
        for (const auto &entry : std::filesystem::recursive_directory_iterator(dir.path().toStdString()))
            checkpointWritten = checkpointWritten || entry.path().filename().string().find("step") != std::string::npos;
        QVERIFY(checkpointWritten);
    }
};

QTEST_GUILESS_MAIN(EvalStopTest)
#include "test_eval_stop.moc"
