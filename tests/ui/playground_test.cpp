// The playground driven as a person uses it, on a SiRA run trained here (the
// SiRA preset on the built-in lexicon base, a few steps, through the window's
// own Start: tiny_study_fixture.h): the run opened from the run browser's
// "Open in playground", a prompt typed and sent, the answer streaming token by token, a token's
// probability on hover and on click with its experts per layer, Cancel
// stopping within one token, a chat turn through the default chat format,
// the exchange saved to the run's notes, and two runs side by side.
//
// What is checked against what: a greedy answer's token is the argmax of the
// raw logits, so its probability is the largest of the alternatives the
// worker computed from the same logits (the engine's softmax), and the
// streamed tokens concatenate to the answer text the decoding loop returned.
#include "storage/run_store.h"
#include "tiny_study_fixture.h"
#include "ui/main_window.h"
#include "ui/playground_side.h"
#include "ui/playground_view.h"
#include "ui/run_browser.h"
#include "ui/sampling_panel.h"
#include "ui/token_stream_view.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHelpEvent>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolTip>
#include <QtTest>

using lwb::ui::MainWindow;
using lwb::ui::PlaygroundSide;
using lwb::ui::PlaygroundView;
using lwb::ui::test::answerOf;
using lwb::ui::test::kTrainingTimeoutMs;

class PlaygroundTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void streamsAnAnswerWithProbabilitiesAndExperts();

private:
    QTemporaryDir dir_;
};

void PlaygroundTest::initTestCase()
{
    QVERIFY(dir_.isValid());
    lwb::ui::test::preparePlaygroundTest(dir_);
}

void PlaygroundTest::streamsAnAnswerWithProbabilitiesAndExperts()
{
    const QString db = dir_.filePath(QStringLiteral("runs.db"));
    MainWindow window(db);
    lwb::ui::test::showWindow(window);
    lwb::ui::test::trainThroughStart(window, lwb::ui::test::tinySiraRun(dir_.filePath(QStringLiteral("out"))));
    if (QTest::currentTestFailed())
        return;

    // Open in playground from the run browser's context menu.
    auto *browser = window.runBrowser();
    browser->refresh();
    QTRY_VERIFY(!browser->isBusy());
    browser->table()->selectRow(0);
    QVERIFY(browser->playgroundAction()->isEnabled());
    auto *view = window.playgroundView();
    QSignalSpy loaded(view, &PlaygroundView::runsLoaded);
    browser->playgroundAction()->trigger();
    QCOMPARE(window.centralTabs()->currentWidget(), view);
    QTRY_VERIFY_WITH_TIMEOUT(view->side(0)->run() != nullptr, kTrainingTimeoutMs);
    const qint64 runId = view->side(0)->run()->id;
    QCOMPARE(view->side(0)->run()->variant, QStringLiteral("sira"));
    QVERIFY(!view->sideBySideBox()->isChecked());

    // A greedy answer streams: one signal per token, in order.
    auto *side = view->side(0);
    view->samplingPanel()->maxNewTokensBox()->setValue(8);
    QTest::keyClicks(view->promptEdit(), QStringLiteral("upper: cat"));
    QSignalSpy tokens(side, &PlaygroundSide::tokenShown);
    QSignalSpy answered(side, &PlaygroundSide::answerFinished);
    lwb::ui::test::sendAndWaitForAnswer(view, answered);
    if (QTest::currentTestFailed())
        return;
    const auto answer = answerOf(answered, 0);
    QVERIFY2(answer.tokens >= 2, qPrintable(answer.ending));
    QCOMPARE(tokens.count(), answer.tokens);
    QString streamed;
    for (int i = 0; i < tokens.count(); ++i) {
        QCOMPARE(tokens.at(i).at(0).toInt(), i);
        streamed += side->stream()->token(i).text;
    }
    QCOMPARE(streamed, answer.text);
    QVERIFY(answer.promptText == QStringLiteral("upper: cat"));
    for (int i = 0; i < side->stream()->tokenCount(); ++i) {
        const auto &token = side->stream()->token(i);
        QVERIFY(token.probability > 0.0 && token.probability <= 1.0);
        QCOMPARE(token.alternatives.size(), 5);
        QCOMPARE(token.probability, token.alternatives.front().probability); // greedy = argmax
        // SiRA: the experts of every adapted layer, top_k = 2 of them.
        QCOMPARE(token.experts.size(), 6 * 7); // 6 layers x q,k,v,o,gate,up,down
        for (const auto &layer : token.experts)
            QCOMPARE(layer.experts.size(), 2);
    }

    // Hovering a token shows its probability; clicking selects it and lists its experts.
    auto *stream = side->stream();
    const QPoint onSecond = stream->tokenRect(1).center();
    QCOMPARE(stream->tokenAt(onSecond), 1);
    const QString probability = lwb::ui::probabilityText(stream->token(1).probability);
    QHelpEvent hover(QEvent::ToolTip, onSecond, stream->viewport()->mapToGlobal(onSecond));
    QApplication::sendEvent(stream->viewport(), &hover);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().contains(QStringLiteral("p = ") + probability), qPrintable(QToolTip::text()));
    QTest::mouseClick(stream->viewport(), Qt::LeftButton, {}, onSecond);
    QCOMPARE(stream->selectedToken(), 1);
    QVERIFY2(side->tokenLabel()->text().contains(probability), qPrintable(side->tokenLabel()->text()));
    QVERIFY(side->expertsTable()->isVisibleTo(side));
    QCOMPARE(side->expertsTable()->rowCount(), 42);

    // Save to notes: the exchange lands in the run's notes.
    QSignalSpy saved(view, &PlaygroundView::notesSaved);
    QTest::mouseClick(view->saveNotesButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kTrainingTimeoutMs);
    {
        lwb::storage::RunStore store(db.toStdString());
        const auto notes = QString::fromStdString(store.run(runId).notes);
        QVERIFY2(notes.contains(QStringLiteral("upper: cat")) && notes.contains(answer.text)
                     && notes.contains(QStringLiteral("temperature 0")),
                 qPrintable(notes));
    }

    // Cancel stops within one token: a long sampled answer, cancelled at its first token.
    view->samplingPanel()->temperatureBox()->setValue(5.0); // flat: the end token is unlikely
    view->samplingPanel()->maxNewTokensBox()->setValue(200);
    tokens.clear();
    QTest::mouseClick(view->sendButton(), Qt::LeftButton);
    QVERIFY(tokens.wait(kTrainingTimeoutMs));
    QTest::mouseClick(view->cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(answered.count(), 2, kTrainingTimeoutMs);
    const auto cancelled = answerOf(answered, 1);
    QCOMPARE(cancelled.ending, QStringLiteral("cancelled"));
    QVERIFY2(cancelled.tokensAfterCancel <= 1, qPrintable(QString::number(cancelled.tokensAfterCancel)));
    QVERIFY(cancelled.tokens < 200);
    QTRY_VERIFY(view->sendButton()->isEnabled());

    // A chat turn: the byte tokenizer has no template, so the documented default renders it.
    view->samplingPanel()->temperatureBox()->setValue(0.0);
    view->samplingPanel()->maxNewTokensBox()->setValue(4);
    view->modeChoice()->setCurrentIndex(1);
    view->promptEdit()->clear(); // a prompt stays after sending; a chat turn moves into the transcript
    QTest::keyClicks(view->promptEdit(), QStringLiteral("hello"));
    lwb::ui::test::sendAndWaitForAnswer(view, answered);
    QCOMPARE(answered.count(), 3);
    QCOMPARE(answerOf(answered, 2).promptText, QStringLiteral("user: hello\nassistant: "));
    QVERIFY(view->promptEdit()->toPlainText().isEmpty());

    // Two runs side by side: the second answers after the first, then answersDone.
    view->modeChoice()->setCurrentIndex(0);
    window.openPlayground({runId, runId});
    QTRY_VERIFY_WITH_TIMEOUT(view->sideBySideBox()->isChecked() && !view->isLoadingRuns(), kTrainingTimeoutMs);
    QCOMPARE(view->side(1)->run()->id, runId);
    QSignalSpy done(view, &PlaygroundView::answersDone);
    QSignalSpy secondAnswered(view->side(1), &PlaygroundSide::answerFinished);
    view->askPrompt(QStringLiteral("upper: cat"));
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kTrainingTimeoutMs);
    QCOMPARE(secondAnswered.count(), 1);
    QCOMPARE(answerOf(secondAnswered, 0).text, answerOf(answered, 3).text); // same run, greedy: same answer
}

QTEST_MAIN(PlaygroundTest)
#include "playground_test.moc"
