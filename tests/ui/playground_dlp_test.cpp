// The playground's DLP-LoRA mode driven as a person uses it, on a tiny study
// trained here through the window's own Start (two built-in tasks, a few
// steps each, a small plugin; tests/ui/tiny_study_fixture.h):
// the DLP-LoRA tab's "Ask in the Playground" opens the study in the
// playground, a prompt is typed and sent, the plugin's routing decision
// (which task LoRAs, which weights) is shown before the answer, the answer
// streams token by token with that set on every token, hover shows the
// model's probability and the sampling rule's, a sampled answer's rule
// probabilities, Cancel stopping within one token, and the study side by
// side with one of its own task LoRAs (a plain LoRA run).
//
// What is checked against what: the streamed answer and the fused set equal
// what the engine's own DLP path gives for the same prompt and rule
// (DlpModel::loadStudy + generate, greedy: engine/dlp/dlp_model.h, which the
// DLP tab's inference panel called before it became this mode); a greedy
// token's rule probability is 1; a sampled token's rule probability is the
// one TokenSampler gives (tested against transformers in
// tests/engine/test_token_sampling.cpp), here only checked to be a
// probability that differs from the model's.
#include "engine/dlp/dlp_model.h"
#include "tiny_study_fixture.h"
#include "ui/dlp_view.h"
#include "ui/main_window.h"
#include "ui/playground_side.h"
#include "ui/playground_view.h"
#include "ui/sampling_panel.h"
#include "ui/token_stream_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHelpEvent>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolTip>
#include <QtTest>

#include <nlohmann/json.hpp>

using lwb::ui::MainWindow;
using lwb::ui::PlaygroundSide;
using lwb::ui::PlaygroundView;
using lwb::ui::test::answerOf;
using lwb::ui::test::kTrainingTimeoutMs;

namespace {

const QString kPrompt = QStringLiteral("first: stone\n"); // the built-in tasks' "task: input" and a line break

} // namespace

class PlaygroundDlpTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void aStudyAnswersWithItsFusedTaskLoras();

private:
    QTemporaryDir dir_;
};

void PlaygroundDlpTest::initTestCase()
{
    QVERIFY(dir_.isValid());
    lwb::ui::test::preparePlaygroundTest(dir_);
}

void PlaygroundDlpTest::aStudyAnswersWithItsFusedTaskLoras()
{
    const QString db = dir_.filePath(QStringLiteral("runs.db"));
    // top_p 0.99: both LoRAs fused (two rows in the weights table) unless the plugin is sure.
    const auto study = lwb::ui::test::tinyDlpStudy(dir_.filePath(QStringLiteral("study")), {"first", "length"}, 0.99);
    MainWindow window(db);
    lwb::ui::test::showWindow(window);
    lwb::ui::test::trainThroughStart(window, study);
    if (QTest::currentTestFailed())
        return;

    // The DLP-LoRA tab's inference is the playground: its button opens the study there.
    auto *dlp = window.dlpView();
    QTRY_VERIFY(dlp->playgroundButton()->isEnabled());
    auto *view = window.playgroundView();
    QSignalSpy loaded(view, &PlaygroundView::runsLoaded);
    QTest::mouseClick(dlp->playgroundButton(), Qt::LeftButton);
    QCOMPARE(window.centralTabs()->currentWidget(), static_cast<QWidget *>(view));
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() >= 1 && view->side(0)->run() != nullptr, kTrainingTimeoutMs);
    auto *side = view->side(0);
    const qint64 studyId = side->run()->id;
    QCOMPARE(side->run()->variant, QStringLiteral("dlp"));
    QVERIFY2(!side->run()->checkpoint.isEmpty(), qPrintable(side->run()->problem));
    QVERIFY(side->routingBox()->isVisibleTo(side));
    QCOMPARE(side->routing().rule, QStringLiteral("top_p")); // the study's own selection
    QCOMPARE(side->routing().p, 0.99);
    QCOMPARE(side->routing().granularity, QStringLiteral("input"));
    QVERIFY(side->studyResultsButton()->isVisibleTo(side));

    // A greedy answer: the routing decision first, then the tokens, each with the fused set.
    view->samplingPanel()->maxNewTokensBox()->setValue(8);
    QTest::keyClicks(view->promptEdit(), QStringLiteral("first: stone"));
    QTest::keyClick(view->promptEdit(), Qt::Key_Return); // a line break; Ctrl+Return would send
    QCOMPARE(view->promptEdit()->toPlainText(), kPrompt);
    QSignalSpy routed(side, &PlaygroundSide::routingShown);
    QSignalSpy tokens(side, &PlaygroundSide::tokenShown);
    QSignalSpy answered(side, &PlaygroundSide::answerFinished);
    lwb::ui::test::sendAndWaitForAnswer(view, answered);
    if (QTest::currentTestFailed())
        return;
    const auto answer = answerOf(answered, 0);
    QVERIFY2(answer.tokens >= 1, qPrintable(answer.ending));
    QCOMPARE(tokens.count(), answer.tokens);
    QCOMPARE(routed.count(), 1); // per input: one decision
    QCOMPARE(answer.routing.size(), 1);
    const auto decision = answer.routing.front();
    QCOMPARE(decision.start, qint64(0));
    QVERIFY(!decision.loras.isEmpty());
    double total = 0.0;
    for (const auto &lora : decision.loras) {
        QVERIFY2(lora.task == QStringLiteral("first") || lora.task == QStringLiteral("length"), qPrintable(lora.task));
        total += lora.weight;
    }
    QVERIFY(std::abs(total - 1.0) < 1e-9); // softmax weights of the kept LoRAs
    // The weights table: one row per fused LoRA, the decision's numbers.
    auto *table = side->fusionTable();
    QVERIFY(table->isVisibleTo(side));
    QCOMPARE(table->rowCount(), decision.loras.size());
    for (int row = 0; row < table->rowCount(); ++row) {
        QCOMPARE(table->item(row, 0)->text(), QStringLiteral("0"));
        QCOMPARE(table->item(row, 1)->text(), decision.loras[row].task);
        QCOMPARE(table->item(row, 2)->text(), QString::number(decision.loras[row].weight, 'f', 3));
    }
    QString streamed;
    for (int i = 0; i < side->stream()->tokenCount(); ++i) {
        const auto &token = side->stream()->token(i);
        streamed += token.text;
        QCOMPARE(token.ruleProbability, 1.0); // greedy
        QCOMPARE(token.probability, token.alternatives.front().probability);
        QCOMPARE(token.fusion.size(), decision.loras.size());
        for (int k = 0; k < token.fusion.size(); ++k)
            QCOMPARE(token.fusion[k].task, decision.loras[k].task);
        QVERIFY(token.experts.isEmpty());
    }
    QCOMPARE(streamed, answer.text);
    QCOMPARE(answer.promptText, kPrompt);

    // The engine's own DLP path, loaded from the same folder, gives the same answer and set.
    {
        const auto config = lwb::parseRunConfig(study, "toy study");
        const auto model = lwb::DlpModel::loadStudy(config);
        const auto reference = model->generate(kPrompt.toStdString(), 8);
        QCOMPARE(answer.text, QString::fromStdString(reference.text));
        QCOMPARE(reference.segments.size(), std::size_t(1));
        const auto tasks = model->library().tasks();
        QCOMPARE(static_cast<std::size_t>(decision.loras.size()), reference.segments[0].selected.size());
        for (int k = 0; k < decision.loras.size(); ++k) {
            const auto index = static_cast<std::size_t>(k);
            QCOMPARE(decision.loras[k].task,
                     QString::fromStdString(tasks.at(static_cast<std::size_t>(reference.segments[0].selected[index]))));
            QCOMPARE(decision.loras[k].weight, reference.segments[0].weights[index]);
        }
    }

    // Hover: the model's probability and the rule's; the details name the fused LoRAs.
    auto *stream = side->stream();
    const QPoint onFirst = stream->tokenRect(0).center();
    QCOMPARE(stream->tokenAt(onFirst), 0);
    QHelpEvent hover(QEvent::ToolTip, onFirst, stream->viewport()->mapToGlobal(onFirst));
    QApplication::sendEvent(stream->viewport(), &hover);
    QTRY_VERIFY(QToolTip::isVisible());
    const QString expected = QStringLiteral("p = %1 model, 1.000 under the sampling rule")
                                 .arg(lwb::ui::probabilityText(stream->token(0).probability));
    QVERIFY2(QToolTip::text().contains(expected), qPrintable(QToolTip::text()));
    QVERIFY2(QToolTip::text().contains(QStringLiteral("fused task LoRAs: ") + decision.loras.front().task),
             qPrintable(QToolTip::text()));
    QTest::mouseClick(stream->viewport(), Qt::LeftButton, {}, onFirst);
    QVERIFY2(side->tokenLabel()->text().contains(expected), qPrintable(side->tokenLabel()->text()));

    // Sampling: each token's rule probability is a probability, and the rule reshapes the model's.
    view->samplingPanel()->temperatureBox()->setValue(0.7);
    view->samplingPanel()->maxNewTokensBox()->setValue(12);
    lwb::ui::test::sendAndWaitForAnswer(view, answered);
    QCOMPARE(answered.count(), 2);
    QVERIFY(answerOf(answered, 1).tokens >= 1);
    bool reshaped = false;
    for (int i = 0; i < stream->tokenCount(); ++i) {
        const auto &token = stream->token(i);
        QVERIFY(token.ruleProbability > 0.0 && token.ruleProbability <= 1.0);
        reshaped = reshaped || std::abs(token.ruleProbability - token.probability) > 1e-6;
    }
    QVERIFY(reshaped);

    // Cancel right after Send: the worker stops within one token of the request.
    view->samplingPanel()->temperatureBox()->setValue(5.0);
    view->samplingPanel()->maxNewTokensBox()->setValue(200);
    QTest::mouseClick(view->sendButton(), Qt::LeftButton);
    QTest::mouseClick(view->cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(answered.count(), 3, kTrainingTimeoutMs);
    const auto cancelled = answerOf(answered, 2);
    QCOMPARE(cancelled.ending, QStringLiteral("cancelled"));
    QVERIFY2(cancelled.tokensAfterCancel <= 1, qPrintable(QString::number(cancelled.tokensAfterCancel)));
    QVERIFY(cancelled.tokens < 200);
    QTRY_VERIFY(view->sendButton()->isEnabled());

    // Side by side: the study beside one of its own task LoRAs, a plain LoRA run.
    qint64 loraId = 0;
    for (int i = 0; i < side->runChoice()->count(); ++i) {
        const qint64 id = side->runChoice()->itemData(i).toLongLong();
        if (id != 0 && id != studyId && side->runChoice()->itemText(i).contains(QStringLiteral("(lora)")))
            loraId = id;
    }
    QVERIFY2(loraId > 0, "the study's task LoRA runs are listed");
    view->samplingPanel()->temperatureBox()->setValue(0.0);
    view->samplingPanel()->maxNewTokensBox()->setValue(8);
    window.openPlayground({studyId, loraId});
    QTRY_VERIFY_WITH_TIMEOUT(view->sideBySideBox()->isChecked() && !view->isLoadingRuns(), kTrainingTimeoutMs);
    QCOMPARE(view->side(1)->run()->variant, QStringLiteral("lora"));
    QVERIFY(!view->side(1)->routingBox()->isVisibleTo(view->side(1)));
    QSignalSpy done(view, &PlaygroundView::answersDone);
    QSignalSpy loraAnswered(view->side(1), &PlaygroundSide::answerFinished);
    view->askPrompt(kPrompt);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kTrainingTimeoutMs);
    QCOMPARE(answered.count(), 4);
    QCOMPARE(loraAnswered.count(), 1);
    QCOMPARE(answerOf(answered, 3).text, answer.text); // the study again, greedy: the same answer
    QCOMPARE(answerOf(answered, 3).routing.size(), 1);
    const auto lora = answerOf(loraAnswered, 0);
    QVERIFY(lora.routing.isEmpty());
    QVERIFY(!view->side(1)->fusionTable()->isVisibleTo(view->side(1)));
    QVERIFY2(lora.tokens >= 1, qPrintable(lora.ending));
}

QTEST_MAIN(PlaygroundDlpTest)
#include "playground_dlp_test.moc"
