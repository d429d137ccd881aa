// The tiny runs of the playground and DLP-LoRA window tests (tiny_study_fixture.h).
#include "tiny_study_fixture.h"

#include "run_outcome_text.h"
#include "ui/job_controller.h"
#include "ui/main_window.h"
#include "ui/playground_view.h"
#include "ui/run_form.h"
#include "user_data_isolation.h"

#include <QFile>
#include <QPushButton>
#include <QtTest>

namespace lwb::ui::test {

nlohmann::json tinyDlpStudy(const QString &outputDir, const std::vector<std::string> &tasks, double topP)
{
    return {
        {"name", "toy-study"},
        {"seed", 42},
        {"threads", 1}, // OpenMP threads spin on a busy 2-core machine
        {"model", {{"preset", "gpt2-tiny"}}},
        {"data", {{"source", "builtin:tasks"}, {"tasks", tasks}, {"seq_len", 48}, {"eval_examples", 8}}},
        {"adapter",
         {{"variant", "dlp"},
          {"r", 4},
          {"alpha", 8},
          {"targets", {"c_attn"}},
          {"dlp",
           {{"task_steps", 3},
            {"plugin",
             {{"embedding", "own"},
              {"embedding_dim", 16},
              {"layers", 2},
              {"width", 32},
              {"epochs", 2},
              {"train_examples", 256},
              {"eval_examples", 32}}},
            {"selection", {{"rule", "top_p"}, {"p", topP}, {"weights", "softmax"}}},
            {"granularity", "input"}}}}},
        {"training", {{"steps", 3}, {"batch_size", 4}, {"warmup_steps", 1}, {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 0}, {"batch_size", 8}}},
    };
}

nlohmann::json tinySiraRun(const QString &outputDir)
{
    const QString path
        = qEnvironmentVariable("LWB_SOURCE_DIR") + QStringLiteral("/resources/configs/sira_default.json");
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s (LWB_SOURCE_DIR names the source tree)", qPrintable(path));
    const QByteArray bytes = file.readAll();
    auto config = nlohmann::json::parse(bytes.constBegin(), bytes.constEnd());
    config["name"] = "sira-playground";
    config["threads"] = 1; // OpenMP threads spin on a busy 2-core machine
    config["training"]["steps"] = 3;
    config["training"]["warmup_steps"] = 1;
    config["training"]["batch_size"] = 4;
    config["training"]["output_dir"] = outputDir.toStdString();
    config["eval"]["every"] = 3;
    config["eval"]["batch_size"] = 8;
    return config;
}

void preparePlaygroundTest(const QTemporaryDir &dir)
{
    keepUserDataIn(dir);
    qRegisterMetaType<PlaygroundAnswer>();
    qRegisterMetaType<PlaygroundRouted>();
}

void showWindow(MainWindow &window)
{
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
}

void trainThroughStart(MainWindow &window, const nlohmann::json &config)
{
    window.runForm()->setDocument(config);
    QVERIFY2(window.runForm()->isValid(), qPrintable(window.runForm()->problems().join(QLatin1Char('\n'))));
    QSignalSpy finished(window.jobController(), &JobController::jobFinished);
    QTest::mouseClick(window.startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTrainingTimeoutMs);
    QCOMPARE(outcomeAt(finished, 0), outcomeName(lwb::RunOutcome::Finished));
}

void sendAndWaitForAnswer(PlaygroundView *view, const QSignalSpy &answered)
{
    const int before = answered.count();
    QTest::mouseClick(view->sendButton(), Qt::LeftButton);
    QVERIFY(view->cancelButton()->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(answered.count(), before + 1, kTrainingTimeoutMs);
}

PlaygroundAnswer answerOf(const QSignalSpy &answered, int index)
{
    return answered.at(index).at(0).value<PlaygroundAnswer>();
}

} // namespace lwb::ui::test
